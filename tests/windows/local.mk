# Windows: the cross-built agent as a service under Wine
# (tests/windows/test_service.py: cross-builds in win-build/ unless
# SABA_WIN_BUILDDIR names one; exit 77 without mingw-w64 and Wine).
if !SABA_WINDOWS
TESTS += tests/windows/test_service.py
endif
EXTRA_DIST += tests/windows/test_service.py tests/windows/keeper.c tests/windows/control.c \
	tests/windows/cmdhelper.c

clean-local: clean-win-build
clean-win-build:
	rm -rf win-build
.PHONY: clean-win-build
