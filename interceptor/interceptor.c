/* SPDX-License-Identifier: MIT */
/* Placeholder: the interceptor is being written (see issue 3). Does nothing. */
static void __attribute__((constructor)) interceptor_init(void) {}
