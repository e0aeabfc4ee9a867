/* The testing stage's init: the only program in the boot test's initramfs.
 * Built static against the kernel tree's nolibc (no libc, no root file
 * system): prints the marker the worker waits for, loads the modules listed
 * in /modules.list (one path per line, dependencies first) and /hello.ko
 * when the initramfs has them, and restarts, which with QEMU's -no-reboot
 * ends QEMU on every architecture (power-off leaves x86 QEMU running
 * without ACPI). */

#define MARKER "KFARM-BOOT-OK"

/* Prints the worker's line for each module: status 0 is loaded. */
static void load(const char *path)
{
	int fd = open(path, O_RDONLY, 0);
	/* 6.1's nolibc has no finit_module wrapper. */
	long status = fd < 0 ? fd : my_syscall3(__NR_finit_module, fd, "", 0);
	printf("KFARM-MODULE: finit_module(%s) = %ld\n", path, status);
	if (fd >= 0)
		close(fd);
}

static void load_listed(void)
{
	static char list[16384];
	int fd = open("/modules.list", O_RDONLY, 0);
	if (fd < 0)
		return;
	long size = read(fd, list, sizeof(list) - 1);
	close(fd);
	if (size <= 0)
		return;
	list[size] = 0;
	char *line = list;
	for (char *p = list; *p; p++) {
		if (*p == '\n') {
			*p = 0;
			if (*line)
				load(line);
			line = p + 1;
		}
	}
	if (*line)
		load(line);
}

int main(void)
{
	printf("%s: init is running\n", MARKER);
	load_listed();
	int fd = open("/hello.ko", O_RDONLY, 0);
	if (fd >= 0) {
		close(fd);
		load("/hello.ko");
	}
	reboot(LINUX_REBOOT_CMD_RESTART);
	return 0;
}
