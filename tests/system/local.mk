# The Debian packages under a real systemd and a real sysvinit:
# tests/system/test_package.py builds two versions from the distributed
# tree (debian/), runs lintian, and installs, upgrades, removes and purges
# them in containers (root and the Debian tools; skipped otherwise, and
# when SABA_SKIP_SYSTEM_TESTS=1).  The triggers' own system tests are
# registered by their plugins' fragments; nspawn.py, which all share, by
# tests/local.mk.

if BUILD_PLUGIN_SYSTEMD
if BUILD_PLUGIN_SYSV
TESTS += tests/system/test_package.py
endif
endif
EXTRA_DIST += tests/system/test_package.py
