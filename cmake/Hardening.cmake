# SPDX-License-Identifier: GPL-2.0-only
# Hardening for every C/C++ target (not the BPF objects, which clang builds for the BPF
# target): stack protector, fortified libc calls, position-independent executables, and
# full RELRO (relocations resolved at start, then read-only). tests/build checks the
# binaries. _FORTIFY_SOURCE needs optimisation and is left out of sanitizer builds,
# whose instrumented calls it would shadow.
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
add_compile_options(-fstack-protector-strong -fstack-clash-protection)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|i.86)$")
  add_compile_options(-fcf-protection)
endif()
if(NOT MCF2B_SANITIZE)
  add_compile_options($<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE>
                      $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
endif()
add_link_options(-pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)
