// Does this compiler keep the stores that fill an AMX tile configuration before `ldtilecfg`?
//
// llama.cpp's AMX kernels (ggml-cpu/amx/mmq.cpp) fill a local 64-byte tile configuration and
// pass it to `_tile_loadconfig()`. GCC 12's intrinsic tells the optimiser that `ldtilecfg`
// reads only 8 bytes, so the stores of the rows and column widths can be dropped as dead and
// the next tile instruction faults (SIGILL). This probe mirrors that code, compiled with the
// flags of the real build, and looks at what `ldtilecfg` is actually given:
// - on a CPU without AMX (or without the kernel's permission) `ldtilecfg` raises SIGILL; the
//   handler checks that the faulting instruction is `ldtilecfg` and looks for the complete
//   configuration in the faulting frame's stack memory;
// - on a CPU with AMX the instruction runs, and `sttilecfg` reads the loaded configuration back.
// It prints one word: "kept" (the configuration arrived whole), "dropped" (it did not), or
// "inconclusive" (something else faulted), and exits 0, 1 or 2.
#include <immintrin.h>

#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ucontext.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace {

struct tile_config_t {  // the same layout and initialisers as llama.cpp's
    uint8_t palette_id = 0;
    uint8_t start_row = 0;
    uint8_t reserved_0[14] = {0};
    uint16_t colsb[16] = {0};
    uint8_t rows[16] = {0};
};

unsigned char expected[64];
sigjmp_buf escape;
volatile sig_atomic_t verdict = -1;  // 0 kept, 1 dropped, 2 inconclusive
const unsigned char *volatile stack_top = nullptr;

__attribute__((noinline)) void load_config() {
    alignas(64) tile_config_t tc = {};
    tc.palette_id = 1;
    tc.start_row = 0;
    tc.rows[0] = 8;   tc.colsb[0] = 64;
    tc.rows[1] = 8;   tc.colsb[1] = 64;
    tc.rows[2] = 16;  tc.colsb[2] = 32;
    tc.rows[3] = 16;  tc.colsb[3] = 32;
    tc.rows[4] = 16;  tc.colsb[4] = 64;
    tc.rows[5] = 16;  tc.colsb[5] = 64;
    tc.rows[6] = 16;  tc.colsb[6] = 64;
    tc.rows[7] = 16;  tc.colsb[7] = 64;
    _tile_loadconfig(&tc);
}

__attribute__((noinline)) void poison_stack() {
    volatile unsigned char junk[4096];
    for (unsigned i = 0; i < sizeof junk; ++i) junk[i] = 0xA5;
}

bool is_ldtilecfg(const unsigned char *ip) {
    // VEX.128.NP.0F38.W0 49 /0: C4, RXB.00010, 0.1111.0.00, 49, modrm.reg == 0
    return ip[0] == 0xC4 && (ip[1] & 0x1F) == 0x02 && ip[2] == 0x78 && ip[3] == 0x49 &&
           ((ip[4] >> 3) & 7) == 0;
}

void on_fault(int, siginfo_t *, void *context) {
    auto *uc = static_cast<ucontext_t *>(context);
    const auto *ip = reinterpret_cast<const unsigned char *>(uc->uc_mcontext.gregs[REG_RIP]);
    auto sp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
    if (!is_ldtilecfg(ip)) {
        verdict = 2;
        siglongjmp(escape, 1);
    }
    verdict = 1;
    // A leaf function may keep the configuration in the 128-byte red zone below the stack pointer
    // (the handler runs on its own stack, so that memory is intact).
    for (uintptr_t at = (sp - 128) & ~uintptr_t(63); at + 64 <= uintptr_t(stack_top); at += 64) {
        if (std::memcmp(reinterpret_cast<const void *>(at), expected, 64) == 0) {
            verdict = 0;
            break;
        }
    }
    siglongjmp(escape, 1);
}

}  // namespace

int main() {
    volatile unsigned char frame_marker = 0;
    stack_top = const_cast<const unsigned char *>(&frame_marker);
    {
        tile_config_t want;
        want.palette_id = 1;
        const uint8_t rows[8] = {8, 8, 16, 16, 16, 16, 16, 16};
        const uint16_t colsb[8] = {64, 64, 32, 32, 64, 64, 64, 64};
        for (int i = 0; i < 8; ++i) { want.rows[i] = rows[i]; want.colsb[i] = colsb[i]; }
        std::memcpy(expected, &want, 64);
    }
#if defined(__linux__)
    syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */);
#endif
    static unsigned char handler_stack[64 * 1024];
    stack_t alternate = {};
    alternate.ss_sp = handler_stack;
    alternate.ss_size = sizeof handler_stack;
    sigaltstack(&alternate, nullptr);
    struct sigaction action = {};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGILL, &action, nullptr);
    sigaction(SIGSEGV, &action, nullptr);
    sigaction(SIGBUS, &action, nullptr);
    if (sigsetjmp(escape, 1) == 0) {
        poison_stack();
        load_config();
        alignas(64) unsigned char loaded[64];
        __asm__ volatile("sttilecfg %0" : "=m"(*reinterpret_cast<unsigned char(*)[64]>(loaded)));
        __asm__ volatile("tilerelease" ::: "memory");
        verdict = std::memcmp(loaded, expected, 64) == 0 ? 0 : 1;
    }
    static const char *const words[] = {"kept", "dropped", "inconclusive"};
    int v = verdict < 0 ? 2 : int(verdict);
    std::puts(words[v]);
    return v;
}
