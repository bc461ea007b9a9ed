# The Debian packages: `dpkg-buildpackage -us -uc -b` builds them from
# debian/ (the upstream install, debhelper's maintainer scripts), and
# tests/system/test_package.py builds two versions and installs, upgrades,
# removes and purges them under a real systemd and sysvinit (root and the
# Debian tools; skipped otherwise, and when SABA_SKIP_SYSTEM_TESTS=1).  The
# environment comes from tests/system.mk.

if BUILD_PLUGIN_SYSTEMD
if BUILD_PLUGIN_SYSV
TESTS += tests/system/test_package.py
endif
endif
EXTRA_DIST += tests/system/test_package.py \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/not-installed \
	debian/saba-agent.install debian/saba-agent.postinst \
	debian/saba-agent.postrm debian/saba-agent.prerm debian/saba-agent.logrotate \
	debian/libsaba-plugin-test0.install debian/libsaba-plugin-test0.symbols \
	debian/libsaba-plugin-dev.install debian/libsaba-plugin-dev.examples
