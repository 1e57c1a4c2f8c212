// huge_pages.h - an allocator that asks Linux for transparent huge pages on large
// blocks, for the tables a tokenizer reads at random (the Unigram trie).
//
// A 250,000-piece trie is ~7 MB read one 16-byte unit at a time in no order: with 4 KB
// pages nearly every step is also a TLB miss. Where transparent huge pages are
// "madvise" (a common default) only memory marked MADV_HUGEPAGE gets 2 MB pages, so
// blocks of at least kMinBytes are mapped 2 MB-aligned and marked. Smaller blocks, and
// every block off Linux, come from operator new. If the kernel declines, the block is
// ordinary memory: only speed depends on it, never a result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace fastpool::tokenizer {

template <class T>
struct HugePageAllocator {
    using value_type = T;
    static constexpr std::size_t kHuge = std::size_t{2} << 20;
    static constexpr std::size_t kMinBytes = std::size_t{1} << 20;

    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
        const std::size_t bytes = n * sizeof(T);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (bytes >= kMinBytes) {
            const std::size_t size = round_up(bytes);
            // Map one huge page more than needed, then trim to a 2 MB-aligned block.
            void* raw = mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (raw == MAP_FAILED) throw std::bad_alloc();
            const auto start = reinterpret_cast<std::uintptr_t>(raw);
            const std::uintptr_t aligned = (start + kHuge - 1) & ~(kHuge - 1);
            if (aligned > start) munmap(raw, aligned - start);
            if (const std::size_t tail = start + kHuge - aligned)
                munmap(reinterpret_cast<void*>(aligned + size), tail);
            madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
            return reinterpret_cast<T*>(aligned);
        }
#endif
        return static_cast<T*>(::operator new(bytes));
    }

    void deallocate(T* p, std::size_t n) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (n * sizeof(T) >= kMinBytes) {
            munmap(p, round_up(n * sizeof(T)));
            return;
        }
#endif
        ::operator delete(p);
    }

    template <class U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const HugePageAllocator<U>&) const noexcept {
        return false;
    }

   private:
    static std::size_t round_up(std::size_t bytes) noexcept {
        return (bytes + kHuge - 1) & ~(kHuge - 1);
    }
};

}  // namespace fastpool::tokenizer
