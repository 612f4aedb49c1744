// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/newline_count.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace mcf2b::matcher {
namespace {

size_t count_newlines_sse2(const char *data, size_t size) {
  size_t total = 0, i = 0;
  const __m128i nl = _mm_set1_epi8('\n');
  while (i + 16 <= size) {
    // Up to 255 blocks accumulate in 8-bit lanes before they are summed.
    __m128i acc = _mm_setzero_si128();
    size_t blocks = std::min<size_t>((size - i) / 16, 255);
    for (size_t b = 0; b < blocks; ++b, i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(data + i));
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl));
    }
    __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    total += static_cast<size_t>(_mm_cvtsi128_si32(sums)) +
             static_cast<size_t>(_mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
  }
  for (; i < size; ++i)
    total += data[i] == '\n';
  return total;
}

__attribute__((target("avx2"))) size_t sum_bytes_avx2(__m256i acc) {
  __m256i sums = _mm256_sad_epu8(acc, _mm256_setzero_si256());
  return static_cast<size_t>(_mm256_extract_epi64(sums, 0)) +
         static_cast<size_t>(_mm256_extract_epi64(sums, 1)) +
         static_cast<size_t>(_mm256_extract_epi64(sums, 2)) +
         static_cast<size_t>(_mm256_extract_epi64(sums, 3));
}

// The same with 32-byte vectors, four independent accumulators per 128 bytes.
__attribute__((target("avx2"))) uint32_t newline_mask_avx2(const char *at) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(at)), _mm256_set1_epi8('\n'))));
}

__attribute__((target("avx2,popcnt"))) size_t count_newlines_avx2(const char *data, size_t size) {
  size_t total = 0, i = 0;
  const __m256i nl = _mm256_set1_epi8('\n');
  while (i + 128 <= size) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    size_t blocks = std::min<size_t>((size - i) / 128, 255);
    for (size_t b = 0; b < blocks; ++b, i += 128) {
      const auto *p = reinterpret_cast<const __m256i *>(data + i);
      a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(_mm256_loadu_si256(p), nl));
      a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(_mm256_loadu_si256(p + 1), nl));
      a2 = _mm256_sub_epi8(a2, _mm256_cmpeq_epi8(_mm256_loadu_si256(p + 2), nl));
      a3 = _mm256_sub_epi8(a3, _mm256_cmpeq_epi8(_mm256_loadu_si256(p + 3), nl));
    }
    total += sum_bytes_avx2(a0) + sum_bytes_avx2(a1) + sum_bytes_avx2(a2) + sum_bytes_avx2(a3);
  }
  // The rest, under 128 bytes: a mask per 32 bytes, the last 32 overlapping the bytes
  // already counted instead of reading past the end.
  if (size < 32)
    return total + count_newlines_sse2(data + i, size - i);
  for (; i + 32 <= size; i += 32)
    total += static_cast<size_t>(__builtin_popcount(newline_mask_avx2(data + i)));
  if (i < size)
    total += static_cast<size_t>(
        __builtin_popcount(newline_mask_avx2(data + size - 32) >> (32 - (size - i))));
  return total;
}

// 64 bytes per step, a compare into a mask register and its population count: no
// lanes to sum, so a short range (the gap between two proposed lines) costs little more
// than its bytes. The last step's masked load reads no byte past the end.
__attribute__((target("avx512f,avx512bw,bmi2,popcnt"))) size_t
count_newlines_avx512(const char *data, size_t size) {
  const __m512i nl = _mm512_set1_epi8('\n');
  size_t total = 0, i = 0;
  for (; i + 64 <= size; i += 64)
    total += static_cast<size_t>(
        __builtin_popcountll(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512(data + i), nl)));
  if (i < size) {
    __mmask64 rest = _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(size - i));
    total += static_cast<size_t>(__builtin_popcountll(
        _mm512_mask_cmpeq_epi8_mask(rest, _mm512_maskz_loadu_epi8(rest, data + i), nl)));
  }
  return total;
}

} // namespace

std::vector<NewlineCounter> newline_counters() {
  std::vector<NewlineCounter> out{{"sse2", count_newlines_sse2}};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
    out.push_back({"avx2", count_newlines_avx2});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
    out.push_back({"avx512", count_newlines_avx512});
  return out;
}

size_t count_newlines(const char *data, size_t size) {
  static const auto count = newline_counters().back().count; // the widest this CPU runs
  return count(data, size);
}

} // namespace mcf2b::matcher
