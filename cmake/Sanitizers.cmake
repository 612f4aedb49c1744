# SPDX-License-Identifier: GPL-2.0-only
# The sanitizer build applies to every C/C++ target in the tree (not to BPF objects,
# which clang builds for the BPF target outside this toolchain).
# float-cast-overflow is named because GCC's "undefined" leaves it out: a JSON number
# like 1e300 read as an integer is that undefined behaviour.
if(MCF2B_SANITIZE)
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined,float-cast-overflow)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
endif()
# Coverage feedback for libFuzzer in every library a harness links; the harnesses
# themselves link libFuzzer's main (fuzz/CMakeLists.txt).
if(MCF2B_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MCF2B_FUZZ needs clang (CXX=clang++ CC=clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
