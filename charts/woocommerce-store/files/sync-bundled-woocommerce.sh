#!/bin/sh
# Runs in the WordPress pod before Apache when setup.woocommerceSource=bundled (init container,
# WordPress image built from images/woocommerce).
#
# The image carries WooCommerce under /usr/src/wordpress/wp-content/plugins/woocommerce. The image's
# entrypoint copies a plugin into the persistent wp-content only when it is missing there, so after
# an image upgrade the store would keep the old WooCommerce. This makes wp-content's copy equal to the
# image's. Guarantee: idempotent; when both main files are equal nothing is written.
set -eu

src=/usr/src/wordpress/wp-content/plugins/woocommerce
dst=/var/www/html/wp-content/plugins/woocommerce

if [ ! -f "$src/woocommerce.php" ]; then
  echo "sync: $src/woocommerce.php is missing: this image has no bundled WooCommerce. Use the image built from images/woocommerce, or set setup.woocommerceSource=download." >&2
  exit 1
fi

# woocommerce.php carries the version header: equal files, equal version.
if [ -f "$dst/woocommerce.php" ] && cmp -s "$src/woocommerce.php" "$dst/woocommerce.php"; then
  echo "sync: wp-content already has the image's WooCommerce"
  exit 0
fi

echo "sync: copying the image's WooCommerce into wp-content"
mkdir -p "$(dirname "$dst")"
rm -rf "$dst.new" "$dst.old"
cp -R "$src" "$dst.new"
# Copy first, then swap by renames: the live copy is never half-written, and a run interrupted
# between the renames is completed by the next pod start.
if [ -e "$dst" ]; then mv "$dst" "$dst.old"; fi
mv "$dst.new" "$dst"
rm -rf "$dst.old"
echo "sync: done"
