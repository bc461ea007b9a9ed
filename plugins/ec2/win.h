/* Windows build of ec2.dll only (plugins/ec2/local.mk: gcc -include): ec2.dll
 * links winpthread statically, but libtool compiles DLL objects with
 * -DDLL_EXPORT, which makes winpthreads' headers import its functions from
 * libwinpthread-1.dll.  -include is read after every -D, so this wins. */
#undef DLL_EXPORT
