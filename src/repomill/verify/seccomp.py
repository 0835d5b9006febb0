"""A seccomp filter for the sandbox (a classic BPF program, as bwrap's `--seccomp FD` takes
it): generated code may not trace or read other processes, make namespaces (nested user
namespaces give it uid 0 over its own mounts), mount, load kernel code or use io_uring
(whose operations bypass seccomp). Everything else is allowed. x86-64 only: there the
syscall numbers are checked against the kernel headers; elsewhere `filter_program` returns
None and the sandbox relies on bwrap's `--disable-userns` alone."""

from __future__ import annotations

import errno
import platform
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000  # x32 ABI numbers on x86-64: refused, they would slip past the table

# x86-64 numbers (asm/unistd_64.h).
_DENIED = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
    "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "keyctl": 250, "add_key": 248, "request_key": 249,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "kexec_load": 246,
    "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176,
    "open_by_handle_at": 304, "syslog": 103, "acct": 163, "swapon": 167, "swapoff": 168,
    "reboot": 169, "iopl": 172, "ioperm": 173,
}  # fmt: skip
# ENOSYS, not EPERM: glibc falls back from clone3 to clone (whose flags the filter can
# see), and libuv from io_uring to its thread pool.
_UNAVAILABLE = {"clone3": 435, "io_uring_setup": 425, "io_uring_enter": 426,
                "io_uring_register": 427}  # fmt: skip
_CLONE = 56
_CLONE_NAMESPACES = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                     | 0x20000000 | 0x40000000)  # NEWNS CGROUP UTS IPC USER PID NET  # fmt: skip

# Classic BPF opcodes and seccomp return values.
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL, _ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def filter_program() -> bytes | None:
    """The filter as raw `struct sock_filter` records, or None off x86-64."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    program = [_op(_LD_ABS, _ARCH), _op(_JEQ, _AUDIT_ARCH_X86_64, 1, 0), _op(_RET, _KILL),
               _op(_LD_ABS, _NR), _op(_JGE, _X32_BIT, 0, 1), _op(_RET, _KILL)]  # fmt: skip
    for numbers, answer in ((_DENIED, errno.EPERM), (_UNAVAILABLE, errno.ENOSYS)):
        for number in numbers.values():
            program += [_op(_JEQ, number, 0, 1), _op(_RET, _ERRNO | answer)]
    # clone with a namespace flag: EPERM; any other clone (threads, fork) is allowed.
    program += [_op(_JEQ, _CLONE, 0, 3), _op(_LD_ABS, _ARG0),
                _op(_JSET, _CLONE_NAMESPACES, 0, 1), _op(_RET, _ERRNO | errno.EPERM),
                _op(_RET, _ALLOW)]  # fmt: skip
    return b"".join(program)
