# Built-in plugins: plugins/lib/ holds the helpers they share, every other
# folder is one plugin with its own fragment, which builds the module and
# registers the plugin's tests.  Each module stays plugins/<name>.la, so
# every built plugin lands in plugins/.libs (the Windows metric DLLs in
# plugins/win/.libs: their names are the Linux plugins').

if SABA_WINDOWS
# A DLL must resolve every symbol when linked; plugins use only the host
# table anyway.
PLUGIN_LDFLAGS += -no-undefined
# The objects of a DLL that links winpthread statically (ec2.dll and the
# helpers it links): no import from its DLL (plugins/lib/winpthread.h).
SABA_WIN_STATIC_PTHREAD = -include $(top_srcdir)/plugins/lib/winpthread.h
else
SABA_WIN_STATIC_PTHREAD =
endif

# No libgcc or winpthread DLL beside the plugin DLLs.
SABA_WIN_DLL_LDFLAGS = -Wc,-static-libgcc

include plugins/lib/local.mk
include plugins/loadavg/local.mk
include plugins/memory/local.mk
include plugins/diagnostic/local.mk
include plugins/cpu/local.mk
include plugins/disk/local.mk
include plugins/interface/local.mk
include plugins/filesystem/local.mk
include plugins/exec/local.mk
include plugins/check/local.mk
include plugins/metadata/local.mk
include plugins/systemd/local.mk
include plugins/sysv/local.mk
include plugins/ec2/local.mk
include plugins/gce/local.mk
include plugins/azure/local.mk
include plugins/windows_scm/local.mk
include plugins/windows_metrics/local.mk
