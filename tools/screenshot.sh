#!/bin/sh
# Writes data/screenshots/main.png: the main window with a few segments.
#
#   tools/screenshot.sh [BUILD_DIR]     (default: build)
#
# Builds nothing: run `meson compile -C BUILD_DIR` first. Needs xvfb-run,
# dbus-run-session and ImageMagick's `import`.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${1:-$srcdir/build}" && pwd)
cohort="$builddir/src/cohort"
out="$srcdir/data/screenshots/main.png"

if [ ! -x "$cohort" ]; then
  echo "screenshot.sh: $cohort not found; build first (meson compile -C $builddir)" >&2
  exit 1
fi
for tool in xvfb-run dbus-run-session import; do
  command -v "$tool" >/dev/null || { echo "screenshot.sh: $tool is missing" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
workspace="$tmp/Marketing.cohort"

create () {
  "$cohort" --workspace "$workspace" segments create "$@" >/dev/null
}
# A made-up customer base, the same every run.
awk 'BEGIN {
  srand(7);
  split("free starter pro enterprise", plans, " ");
  print "id,email,plan,total_spent,newsletter,signed_up";
  for (i = 1; i <= 2400; i++) {
    spent = int(rand() * rand() * 2000);
    printf "c%05d,person%d@example.com,%s,%d,%s,%d\n", i, i, plans[1 + int(rand() * 4)], spent,
           (rand() < 0.6 ? "true" : "false"), 1767225600 - int(rand() * 86400 * 400);
  }
}' > "$tmp/customers.csv"
"$cohort" --workspace "$workspace" import customers "$tmp/customers.csv" >/dev/null

create "Big spenders" --data-driven --description "Customers who spent more than \$500. Synced to Customer.io every night for the loyalty campaign."
"$cohort" --workspace "$workspace" segments set-criteria "Big spenders" \
  '{"attribute": {"field": "total_spent", "operator": "gt", "value": 500}}'
create "Newsletter subscribers" --data-driven --description "Everyone who opted in to the monthly newsletter."
"$cohort" --workspace "$workspace" segments set-criteria "Newsletter subscribers" \
  '{"attribute": {"field": "newsletter", "operator": "is_true"}}'
create "Pro and Enterprise" --data-driven --description "Paying customers on the larger plans."
"$cohort" --workspace "$workspace" segments set-criteria "Pro and Enterprise" \
  '{"attribute": {"field": "plan", "operator": "in", "value": ["pro", "enterprise"]}}'
create "VIP customers" --manual --description "Hand-picked accounts that get early access to new features."
"$cohort" --workspace "$workspace" segments add "VIP customers" c00012 c00140 c00377 c01024 c01999 >/dev/null
create "Webinar attendees" --manual --description "People who joined the autumn product webinar."
"$cohort" --workspace "$workspace" segments add "Webinar attendees" $(seq -f 'c%05g' 100 7 900) >/dev/null
create "Churn risk" --data-driven --description "Rules to come."
create "Summer sale 2025" --manual --description "Last summer's campaign."
"$cohort" --workspace "$workspace" segments add "Summer sale 2025" $(seq -f 'c%05g' 1 13 600) >/dev/null
"$cohort" --workspace "$workspace" segments deactivate "Summer sale 2025" >/dev/null

mkdir -p "$(dirname "$out")"

# What GNOME sets through its settings daemon, which is not running here.
mkdir -p "$tmp/config/gtk-4.0"
cat > "$tmp/config/gtk-4.0/settings.ini" <<'INI'
[Settings]
gtk-font-name=Cantarell 11
gtk-icon-theme-name=Adwaita
INI

# Inside the X server: start the app, let it draw, grab the screen.
cat > "$tmp/inside.sh" <<'INSIDE'
#!/bin/sh
set -eu
"$COHORT" --workspace "$WORKSPACE" &
pid=$!
sleep "${SCREENSHOT_DELAY:-6}"
import -window root "$OUT"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
INSIDE
chmod +x "$tmp/inside.sh"

export COHORT="$cohort" WORKSPACE="$workspace" OUT="$out"
export GSETTINGS_SCHEMA_DIR="$builddir/data" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 GTK_A11Y=none
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
export LC_ALL="${LC_ALL:-C.UTF-8}"

xvfb-run -a -s "-screen 0 1000x680x24" dbus-run-session -- "$tmp/inside.sh"

echo "wrote $out"
