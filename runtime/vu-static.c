/*
 * vu-static.c -- vu's loader for static programs (see
 * runtime/process/static.c): a small dynamic program, so that libvu.so is
 * preloaded into it and armed; libvu's vu_static_main does the rest.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv, char **envp)
{
	int (*enter)(int, char **, char **) =
		(int (*)(int, char **, char **))dlsym(RTLD_DEFAULT, "vu_static_main");

	if (!enter) {
		fputs("vu-static: runs only under vu (libvu.so in LD_PRELOAD)\n", stderr);
		return 126;
	}
	return enter(argc, argv, envp);
}
