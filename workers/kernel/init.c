/* The testing stage's init: the only program in the boot test's initramfs.
 * Built static against the kernel tree's nolibc (no libc, no root file
 * system): prints the marker the worker waits for, loads /hello.ko when the
 * initramfs has it, and restarts, which with QEMU's -no-reboot ends QEMU on
 * every architecture (power-off leaves x86 QEMU running without ACPI). */

#define MARKER "KFARM-BOOT-OK"

int main(void)
{
	printf("%s: init is running\n", MARKER);
	int fd = open("/hello.ko", O_RDONLY, 0);
	if (fd >= 0) {
		/* 6.1's nolibc has no finit_module wrapper. */
		long status = my_syscall3(__NR_finit_module, fd, "", 0);
		printf("KFARM-MODULE: finit_module(/hello.ko) = %ld\n", status);
	}
	reboot(LINUX_REBOOT_CMD_RESTART);
	return 0;
}
