# SPDX-License-Identifier: GPL-2.0-only
# mcf2b_warnings(TARGET): the project's warning set; errors when MCF2B_WERROR is on.
function(mcf2b_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wold-style-cast -Woverloaded-virtual -Wformat=2
    -Wimplicit-fallthrough -Wmisleading-indentation)
  if(MCF2B_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
