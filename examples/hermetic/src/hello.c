#include <stdio.h>

int main(void)
{
	puts("hello from a hermetic build");
	return 0;
}
