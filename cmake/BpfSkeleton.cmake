# SPDX-License-Identifier: GPL-2.0-only
# mcf2b_bpf_skeleton(NAME [HEADERS h...]):
#   bpf/NAME.bpf.c --clang -target bpf--> NAME.bpf.o --bpftool gen skeleton--> NAME.skel.h
# Both outputs live in the build tree. The object's include dependencies are tracked
# through a depfile, and HEADERS are listed explicitly as well, so editing the shared
# header regenerates the skeleton. Defines an INTERFACE target NAME_skel that puts the
# skeleton on the include path and links libbpf. Programs outside bpf/ include the shared
# header (bpf/mcf2b_shared.h) as from bpf/.
find_program(MCF2B_BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(MCF2B_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

function(mcf2b_bpf_skeleton name)
  cmake_parse_arguments(ARG "" "" "HEADERS" ${ARGN})
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${name}.bpf.c)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  set(dep ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.d)
  if(NOT CMAKE_LIBRARY_ARCHITECTURE)
    set(CMAKE_LIBRARY_ARCHITECTURE x86_64-linux-gnu)
  endif()
  string(TOLOWER ${CMAKE_SYSTEM_PROCESSOR} arch)
  if(arch MATCHES "x86_64|amd64")
    set(target_arch x86)
  elseif(arch MATCHES "aarch64|arm64")
    set(target_arch arm64)
  else()
    set(target_arch ${arch})
  endif()
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${MCF2B_BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${target_arch}
            -Wall -Werror
            -I${CMAKE_CURRENT_SOURCE_DIR} -I${PROJECT_SOURCE_DIR}/bpf
            -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -MD -MF ${dep}
            -c ${src} -o ${obj}
    DEPENDS ${src} ${ARG_HEADERS}
    DEPFILE ${dep}
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${MCF2B_BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  # SYSTEM: generated code is not held to our warning set.
  target_include_directories(${name}_skel SYSTEM INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
