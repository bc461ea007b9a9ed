/* Windows build of a DLL that links winpthread statically (ec2.dll, and
 * the helpers it links: plugins/local.mk, SABA_WIN_STATIC_PTHREAD, gcc
 * -include): libtool compiles DLL objects with -DDLL_EXPORT, which makes
 * winpthreads' headers import its functions from libwinpthread-1.dll.
 * -include is read after every -D, so this wins. */
#undef DLL_EXPORT
