#!/usr/bin/env bash
# A real WordPress from Debian's packages (wordpress, php-fpm, php-mysql, mariadb-server, nginx),
# served on 127.0.0.1 from a private directory, for tests/integration/wordpress_test.cc:
#   wordpress_fixture.sh start DIR PORT   -> prints the site URL on the last line
#   wordpress_fixture.sh stop DIR
# Exit 77 when the packages are missing (the test then skips). Everything runs as the calling
# user from DIR (MariaDB datadir and socket, php-fpm socket, nginx config); the only file
# outside DIR is /etc/wordpress/config-lookout-test-PORT.php, which Debian's wp-config.php
# requires (selected through the WORDPRESS_CONFIG fastcgi parameter) and stop removes.
set -euo pipefail
cmd=${1:?start|stop}
DIR=${2:?directory}

stop() {
  for pidfile in "$DIR/nginx.pid" "$DIR/php-fpm.pid" "$DIR/mysqld.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 50); do
    alive=0
    for pidfile in "$DIR/nginx.pid" "$DIR/php-fpm.pid" "$DIR/mysqld.pid"; do
      [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  [ -f "$DIR/config-name" ] && rm -f "/etc/wordpress/config-$(cat "$DIR/config-name").php"
  rm -rf "$DIR"
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

PORT=${3:?port}
PHP_FPM=$(ls /usr/sbin/php-fpm* 2>/dev/null | head -1 || true)
for need in /usr/share/wordpress/wp-settings.php /usr/sbin/mariadbd /usr/bin/mariadb-install-db \
            /usr/sbin/nginx "$PHP_FPM"; do
  [ -n "$need" ] && [ -e "$need" ] || { echo "missing $need" >&2; exit 77; }
done
[ -w /etc/wordpress ] || { echo "/etc/wordpress not writable" >&2; exit 77; }
mkdir -p "$DIR"
trap 'echo "wordpress fixture failed; logs in $DIR" >&2' ERR

# MariaDB on a private socket, no TCP.
mariadb-install-db --datadir="$DIR/db" --user="$(id -un)" --auth-root-authentication-method=socket \
  --skip-test-db >"$DIR/install-db.log" 2>&1
/usr/sbin/mariadbd --no-defaults --datadir="$DIR/db" --socket="$DIR/mysqld.sock" \
  --pid-file="$DIR/mysqld.pid" --skip-networking --user="$(id -un)" \
  --innodb-buffer-pool-size=16M >"$DIR/mysqld.log" 2>&1 &
for _ in $(seq 100); do [ -S "$DIR/mysqld.sock" ] && break; sleep 0.1; done
mariadb --no-defaults --socket="$DIR/mysqld.sock" -u root <<SQL
CREATE DATABASE wp;
CREATE USER 'wp'@'localhost' IDENTIFIED BY 'wp-test-password';
GRANT ALL ON wp.* TO 'wp'@'localhost';
SQL

NAME="lookout-test-$PORT"
echo "$NAME" >"$DIR/config-name"
mkdir -p "$DIR/wp-content/uploads"
cp -r /var/lib/wordpress/wp-content/themes "$DIR/wp-content/" 2>/dev/null || true
ln -sfn /usr/share/wordpress/wp-content/themes/* "$DIR/wp-content/themes/" 2>/dev/null || true
cat >"/etc/wordpress/config-$NAME.php" <<PHP
<?php
define('DB_NAME', 'wp');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp-test-password');
define('DB_HOST', 'localhost:$DIR/mysqld.sock');
define('WP_HOME', 'http://127.0.0.1:$PORT');
define('WP_SITEURL', 'http://127.0.0.1:$PORT');
define('WP_CONTENT_DIR', '$DIR/wp-content');
define('FS_METHOD', 'direct');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
PHP

cat >"$DIR/php-fpm.conf" <<CONF
[global]
pid = $DIR/php-fpm.pid
error_log = $DIR/php-fpm.log
daemonize = no
[www]
listen = $DIR/php.sock
listen.mode = 0666
pm = static
pm.max_children = 2
clear_env = no
CONF
"$PHP_FPM" --allow-to-run-as-root --nodaemonize --fpm-config "$DIR/php-fpm.conf" >"$DIR/php-fpm.out" 2>&1 &
for _ in $(seq 100); do [ -S "$DIR/php.sock" ] && break; sleep 0.1; done

mkdir -p "$DIR/nginx"
cat >"$DIR/nginx.conf" <<CONF
daemon off;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
worker_processes 1;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $DIR/nginx/body;
  fastcgi_temp_path $DIR/nginx/fastcgi;
  proxy_temp_path $DIR/nginx/proxy;
  uwsgi_temp_path $DIR/nginx/uwsgi;
  scgi_temp_path $DIR/nginx/scgi;
  server {
    listen 127.0.0.1:$PORT;
    root /usr/share/wordpress;
    index index.php;
    location /wp-content/ { root $DIR; }
    location / { try_files \$uri \$uri/ /index.php?\$args; }
    location ~ \.php\$ {
      include /etc/nginx/fastcgi_params;
      # Debian's fastcgi_params sends HTTP_HOST without the port; WordPress then redirects
      # every page to itself (canonical URL with the port).
      fastcgi_param HTTP_HOST \$http_host;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_param WORDPRESS_CONFIG $NAME;
      fastcgi_pass unix:$DIR/php.sock;
    }
  }
}
CONF
/usr/sbin/nginx -c "$DIR/nginx.conf" -p "$DIR/nginx" >"$DIR/nginx.out" 2>&1 &
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/wp-includes/css/dashicons.min.css" && break; sleep 0.1; done

# The installer's second step, as a browser would post it.
curl -s -m 120 -o "$DIR/install.html" \
  --data-urlencode "weblog_title=Lookout Test Blog" --data-urlencode "user_name=admin" \
  --data-urlencode "admin_password=Lookout-Test-Password-1" \
  --data-urlencode "admin_password2=Lookout-Test-Password-1" --data-urlencode "pw_weak=1" \
  --data-urlencode "admin_email=admin@example.org" --data-urlencode "blog_public=0" \
  --data-urlencode "language=" "http://127.0.0.1:$PORT/wp-admin/install.php?step=2"
grep -q "Success" "$DIR/install.html" || { echo "WordPress install failed" >&2; exit 1; }

# A plugin and a classic theme, laid out as the WordPress.org directory ships them (main file
# with its header, readme.txt with a Stable tag; style.css with the theme header), enqueueing
# their assets with their own versions, and activated the way WordPress stores it: the
# serialized active_plugins array and the template/stylesheet options.
PLUGIN="lookout-contact-form"
mkdir -p "$DIR/wp-content/plugins/$PLUGIN/css" "$DIR/wp-content/themes/lookout-classic"
cat >"$DIR/wp-content/plugins/$PLUGIN/$PLUGIN.php" <<'PHP'
<?php
/**
 * Plugin Name: Lookout Contact Form
 * Description: A contact form (test plugin of the Lookout integration tests).
 * Version: 5.3.1
 * Requires at least: 5.0
 * License: GPLv2 or later
 */
add_action('wp_enqueue_scripts', function () {
  wp_enqueue_style('lookout-contact-form', plugins_url('css/form.css', __FILE__), array(), '5.3.1');
  wp_enqueue_script('lookout-contact-form', plugins_url('js/form.js', __FILE__), array(), '5.3.1', true);
});
PHP
mkdir -p "$DIR/wp-content/plugins/$PLUGIN/js"
echo ".lookout-form { margin: 0; }" >"$DIR/wp-content/plugins/$PLUGIN/css/form.css"
echo "/* form */" >"$DIR/wp-content/plugins/$PLUGIN/js/form.js"
cat >"$DIR/wp-content/plugins/$PLUGIN/readme.txt" <<'TXT'
=== Lookout Contact Form ===
Contributors: lookout
Tags: contact, form
Requires at least: 5.0
Tested up to: 6.1
Stable tag: 5.3.2
License: GPLv2 or later

A contact form.
TXT
cat >"$DIR/wp-content/themes/lookout-classic/style.css" <<'CSS'
/*
Theme Name: Lookout Classic
Author: Lookout
Description: A classic theme (test theme of the Lookout integration tests).
Version: 2.0.1
Requires at least: 5.0
License: GNU General Public License v2 or later
Text Domain: lookout-classic
*/
body { margin: 0; }
CSS
cat >"$DIR/wp-content/themes/lookout-classic/functions.php" <<'PHP'
<?php
add_action('wp_enqueue_scripts', function () {
  wp_enqueue_style('lookout-classic-style', get_stylesheet_uri(), array(), wp_get_theme()->get('Version'));
});
PHP
cat >"$DIR/wp-content/themes/lookout-classic/index.php" <<'PHP'
<!DOCTYPE html>
<html <?php language_attributes(); ?>>
<head><meta charset="<?php bloginfo('charset'); ?>"><?php wp_head(); ?></head>
<body <?php body_class(); ?>><h1><?php bloginfo('name'); ?></h1><?php wp_footer(); ?></body>
</html>
PHP
ENTRY="$PLUGIN/$PLUGIN.php"
mariadb --no-defaults --socket="$DIR/mysqld.sock" -u root wp <<SQL
UPDATE wp_options SET option_value = 'a:1:{i:0;s:${#ENTRY}:"$ENTRY";}' WHERE option_name = 'active_plugins';
UPDATE wp_options SET option_value = 'lookout-classic' WHERE option_name IN ('template', 'stylesheet');
SQL
echo "http://127.0.0.1:$PORT/"
