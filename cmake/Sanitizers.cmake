# SPDX-License-Identifier: GPL-2.0-only
# The sanitizer build applies to every C/C++ target in the tree (not to BPF objects,
# which clang builds for the BPF target outside this toolchain).
if(MCF2B_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
