#!/usr/bin/env bash
# System packages the window needs on Debian: X11 keyboard support and a Vulkan loader with
# Mesa's drivers (lavapipe gives a software Vulkan device where there is no GPU); zenity for
# the file dialogs where no desktop portal runs; Xvfb and
# ImageMagick's `import` for headless runs and screenshots. Building needs none of them.
set -euo pipefail
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
  libxkbcommon-x11-0 libvulkan1 mesa-vulkan-drivers zenity xvfb imagemagick
