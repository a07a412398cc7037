//go:build cgo

package main

/*
#include <unistd.h>
static int c_getpid(void) { return getpid(); }
*/
import "C"

func init() {
	cgoPid = func() int { return int(C.c_getpid()) }
}
