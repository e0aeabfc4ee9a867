/* The "Hello World" kernel module of seed 000, built out of tree against
 * each kernel that enables loadable modules and loaded in its boot test. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>

static int __init hello_init(void)
{
	printk(KERN_INFO "Hello, Kernel World!\n");
	return 0;
}

static void __exit hello_exit(void)
{
	printk(KERN_INFO "Goodbye, Kernel World!\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kfarm");
MODULE_DESCRIPTION("A simple Hello World kernel module");
MODULE_VERSION("0.1");
