/* SPDX-License-Identifier: MIT */
/*
 * libjournalagent_interceptor.so: preloaded (LD_PRELOAD) into systemd as PID 1 of a
 * container, it keeps a copy of the container's stdout and stderr inside PID 1 for the
 * whole life of the container, so that journalagent can take them at any time through
 * /proc/1/fd/N. The numbers are exported as SYSTEMD_STDOUT_FILENO and
 * SYSTEMD_STDERR_FILENO (the original project's names).
 *
 * - The copies are made with F_DUPFD_CLOEXEC before systemd's main(): systemd's
 *   start-up sweep collects only inherited fds without FD_CLOEXEC (252 and later; 247
 *   collects all of them, and the close hook keeps the copies open), so it leaves them
 *   alone, and they never leak into forked children or services.
 * - daemon-reexec and soft-reboot exec PID 1 again: the exec hooks below clear
 *   FD_CLOEXEC right before that exec (in PID 1 only), and the new instance re-adopts
 *   the fds named by the variables and sets FD_CLOEXEC again.
 * - Everywhere else (systemd-executor since systemd 255, `docker exec` processes that
 *   inherit LD_PRELOAD, forked children of PID 1) it does nothing, and the exec hooks
 *   behave exactly like glibc's.
 * - In systemd-shutdown (PID 1 at the very end of a stop) it shortens the wait for the
 *   last processes: see the sigtimedwait hook.
 * - In the entrypoint (PID 1 with CSD_INTERCEPTOR_STAGE=bootstrap, set by
 *   systemd-bootstrap) it only blocks the stop signals, before the Deno runtime creates
 *   any thread: the kernel drops a signal sent to a namespace's init that has no handler
 *   for it, but keeps a blocked one pending, across execve, until systemd takes it.
 *
 * Portability: no symbol newer than GLIBC_2.17, so one file loads on old and new
 * distributions. Hence no dlsym() (GLIBC_2.34 in libc since glibc 2.34): the exec hooks
 * call the execve system call themselves, which is all glibc's execve/execv/execle do.
 * No strtol() (redirected to __isoc23_strtol@GLIBC_2.38), no fstat() (fstat@GLIBC_2.33),
 * no stdio. tests/interceptor_test.ts checks the list with `objdump -T`.
 */

/* _GNU_SOURCE: for the declaration of `environ` in <unistd.h> and of syscall(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Built with -fvisibility=hidden: only the hooks are exported. */
#define EXPORT __attribute__((visibility("default")))

#define STREAMS 2
/* The variables naming the copies, kept from the original project. */
static const char *const variable[STREAMS] = {"SYSTEMD_STDOUT_FILENO", "SYSTEMD_STDERR_FILENO"};
/* What each copy is made from at first start. */
static const int source[STREAMS] = {STDOUT_FILENO, STDERR_FILENO};
/* The copies held by this PID 1, or -1. */
static int kept[STREAMS] = {-1, -1};
/* Whether this is systemd-shutdown running as PID 1 (set by the constructor). */
static int final_stage = 0;
/* The longest the sigtimedwait hook lets systemd-shutdown sleep at once, in ns. */
#define FINAL_STAGE_SLICE_NS 20000000L

/* Parses a non-negative decimal fd number; returns -1 if `s` is not one. */
static int parse_fd(const char *s) {
    long n = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || n > 1000000)
            return -1;
        n = n * 10 + (*s - '0');
    }
    return (int)n;
}

/* Writes `n` (>= 0) in decimal into `buf` (at least 12 bytes). */
static void format_fd(int n, char *buf) {
    char tmp[12];
    int len = 0, i = 0;
    do {
        tmp[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (len > 0)
        buf[i++] = tmp[--len];
    buf[i] = '\0';
}

/* Sets (on != 0) or clears FD_CLOEXEC on `fd`; 0 or -1 with errno as fcntl(2) left it. */
static int set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return -1;
    flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
    return fcntl(fd, F_SETFD, flags);
}

/*
 * Whether `fd` is open and not /dev/null (1:3): a runtime that gives no stdout leaves
 * the fd closed, or (e.g. a Rust or Deno entrypoint, whose runtime fills closed fds 0-2)
 * on /dev/null; a copy of /dev/null is worth nothing. The fstat system call is made
 * directly because glibc's fstat() is a GLIBC_2.33 symbol.
 */
static int is_output(int fd) {
    struct stat st;
    if (syscall(SYS_fstat, fd, &st) != 0)
        return 0; /* EBADF: the runtime gave no such fd */
    return !(S_ISCHR(st.st_mode) && st.st_rdev == ((1 << 8) | 3));
}

/* Re-adopts an fd inherited across a re-exec of PID 1; 0, or -1 if `value` names none. */
static int adopt(int i, const char *value) {
    int fd = parse_fd(value);
    if (fd < 3 || set_cloexec(fd, 1) != 0)
        return -1; /* not a number, or EBADF: no such fd was inherited */
    kept[i] = fd;
    return 0;
}

/* Copies `source[i]` close-on-exec and exports its number; 0 or -1. */
static int copy(int i) {
    char number[12];
    int fd;
    if (!is_output(source[i]))
        return -1;
    fd = fcntl(source[i], F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -1; /* EMFILE: keeping nothing beats failing the boot */
    format_fd(fd, number);
    if (setenv(variable[i], number, 1) != 0) {
        (void)close(fd); /* ENOMEM: a copy nobody can find is of no use */
        return -1;
    }
    kept[i] = fd;
    return 0;
}

/*
 * Blocks what systemd as PID 1 stops on (systemd(1), "Signals"): SIGINT (Ctrl-C, made
 * poweroff by the generator), SIGRTMIN+3 (halt, the image's STOPSIGNAL), SIGRTMIN+4
 * (poweroff) and SIGRTMIN+5 (reboot). Not SIGTERM: systemd re-executes itself on it,
 * and the entrypoint may still be stopped by it. 0, or -1 with errno as sigprocmask(2)
 * left it.
 */
static int block_stop_signals(void) {
    sigset_t set;
    if (sigemptyset(&set) != 0 || sigaddset(&set, SIGINT) != 0 ||
        sigaddset(&set, SIGRTMIN + 3) != 0 || sigaddset(&set, SIGRTMIN + 4) != 0 ||
        sigaddset(&set, SIGRTMIN + 5) != 0)
        return -1; /* EINVAL: cannot happen for these numbers */
    return sigprocmask(SIG_BLOCK, &set, NULL);
}

static void __attribute__((constructor)) interceptor_init(void) {
    int saved_errno = errno;
    const char *stage;
    int i;

    /* 1. Only in PID 1. systemd-executor, `docker exec` processes and anything else
     *    that inherits LD_PRELOAD is left exactly as it was. */
    if (getpid() != 1)
        goto out;

    /* 1a. systemd-shutdown, exec'd by PID 1 at the end of a stop (LD_PRELOAD is kept in
     *     its environment): only the sigtimedwait hook has work to do. */
    if (strcmp(program_invocation_short_name, "systemd-shutdown") == 0) {
        final_stage = 1;
        goto out;
    }

    /* 2. In the entrypoint, only hold back the stop signals; the systemd it execs
     *    (without the variable) copies the fds. A failure is ignored: a stop during
     *    the entrypoint is then lost, as it would be without the library. */
    stage = getenv("CSD_INTERCEPTOR_STAGE");
    if (stage != NULL && strcmp(stage, "bootstrap") == 0) {
        (void)block_stop_signals();
        goto out;
    }

    for (i = 0; i < STREAMS; i++) {
        const char *value = getenv(variable[i]);
        /* 3. After daemon-reexec or soft-reboot the variable names the copy inherited
         *    from the previous instance (fd 1 is /dev/null by then): take it back and
         *    make it close-on-exec again, before main() sweeps inherited fds. */
        if (value != NULL && adopt(i, value) == 0)
            continue;
        /* 4. First start: copy the runtime's fd close-on-exec and export its number. */
        if (copy(i) == 0)
            continue;
        /* 5. Nothing to keep (fd closed or /dev/null): the variable stays unset, so
         *    the agent can tell. */
        if (value != NULL)
            (void)unsetenv(variable[i]);
    }

out:
    errno = saved_errno;
}

/* Lets the copies survive (across != 0) or not survive an exec; PID 1 only. */
static void keep_across_exec(int across) {
    int i;
    /* A child forked from PID 1 has getpid() != 1: its copies stay close-on-exec and
     * die at its exec, as they must. */
    if (getpid() != 1)
        return;
    for (i = 0; i < STREAMS; i++)
        if (kept[i] >= 0)
            (void)set_cloexec(kept[i], !across); /* EBADF: it is gone anyway */
}

/* execve(2), with the copies kept across it when PID 1 re-executes itself. */
static int exec_keeping(const char *path, char *const argv[], char *const envp[]) {
    int saved_errno = errno;
    long r;
    keep_across_exec(1);
    errno = saved_errno;
    r = syscall(SYS_execve, path, argv, envp);
    /* The exec failed (systemd then tries its fallbacks): close-on-exec again. */
    saved_errno = errno;
    keep_across_exec(0);
    errno = saved_errno;
    return (int)r;
}

/*
 * The hooks: every exec function the systemd binary itself imports (252, 257, 262).
 * execv re-executes systemd at daemon-reexec and soft-reboot (and the /sbin/init
 * fallback); execve runs a configured init or the /bin/sh fallback if that fails; execle
 * is hooked for completeness. Each does what glibc's does: one execve system call.
 */

EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    return exec_keeping(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[]) {
    return exec_keeping(path, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...) {
    va_list ap;
    size_t argc = 1, i;

    va_start(ap, arg);
    while (va_arg(ap, const char *) != NULL)
        argc++;
    va_end(ap);
    {
        const char *argv[argc + 1];
        char *const *envp;
        argv[0] = arg;
        va_start(ap, arg);
        for (i = 1; i <= argc; i++)
            argv[i] = va_arg(ap, const char *); /* the last one is the NULL */
        envp = va_arg(ap, char *const *);
        va_end(ap);
        return exec_keeping(path, (char *const *)argv, envp);
    }
}

/*
 * close(2), as glibc's (one close system call), except in PID 1 for the copies: there it
 * does nothing and returns 0. systemd 247 (Debian 11; not 252 and later) collects every fd it
 * inherits at start, close-on-exec or not (fdset_new_fill() in main.c's collect_fds()),
 * and close()s those no unit claimed once the manager is up; the copies made before
 * main() went with them, and PID 1 gave their numbers to its own pipes, which the agent
 * then opened as "the container's stdout" (EPIPE; measured on 247). Later systemd skips
 * close-on-exec fds there, so the hook never fires. A child forked from PID 1 closes its
 * inherited copies for real (getpid() != 1).
 */
EXPORT int close(int fd) {
    int i;
    for (i = 0; i < STREAMS; i++)
        if (fd >= 0 && fd == kept[i] && getpid() == 1)
            return 0;
    return (int)syscall(SYS_close, fd);
}

/*
 * sigtimedwait(2), as glibc's, except in systemd-shutdown as PID 1 (final_stage): there a
 * wait for SIGCHLD of more than FINAL_STAGE_SLICE_NS ends after that slice as if a
 * SIGCHLD had come (returns SIGCHLD), so the caller looks again at once.
 *
 * Why: systemd-shutdown sends SIGTERM (then SIGKILL) to every process left and waits for
 * them (src/shared/killall.c, wait_for_children()): it reaps its own children and, on each
 * SIGCHLD, checks the others with kill(pid, 0); with no SIGCHLD it sleeps until half its
 * --timeout (DefaultTimeoutStopSec=8s here, so 4 s) before it looks again. A process of
 * `docker exec` (a health check, a shell) is a child of the runtime's shim, outside the
 * container's PID namespace: its end sends PID 1 no SIGCHLD, and if it was not yet reaped
 * at the first look, a `docker stop` took 4 s longer (strace: rt_sigtimedwait({3.99 s})
 * = EAGAIN, then kill(pid, 0) = ESRCH). Every caller in systemd treats a SIGCHLD as "look
 * again" (killall.c; wait_for_terminate_with_timeout() loops until its own deadline), so
 * an early one changes only when they look, never what they decide. With `info` asked for,
 * or without SIGCHLD in the set, the call is glibc's.
 */
EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout) {
    struct timespec slice = {0, FINAL_STAGE_SLICE_NS};
    long r;
    int shorten = final_stage && info == NULL && timeout != NULL &&
                  sigismember(set, SIGCHLD) == 1 &&
                  (timeout->tv_sec > 0 || timeout->tv_nsec > FINAL_STAGE_SLICE_NS);
    r = syscall(SYS_rt_sigtimedwait, set, info, shorten ? &slice : timeout, (size_t)(_NSIG / 8));
    if (shorten && r < 0 && errno == EAGAIN)
        return SIGCHLD;
    /* As glibc's: a signal from tkill(2) (raise(3)) reads as one from kill(2). */
    if (r >= 0 && info != NULL && info->si_code == SI_TKILL)
        info->si_code = SI_USER;
    return (int)r;
}
