# SPDX-License-Identifier: GPL-2.0-only
# What `cmake --install` puts where (GNUInstallDirs), the man pages generated from their
# scdoc sources, and the Debian package (CPack's DEB generator, see scripts/package).
#
# Included from the top-level CMakeLists.txt before its subdirectories, because the install
# prefix is compiled into mcf2b_matcher (where the shipped filters live once installed).
# The install rules themselves are deferred to the end of the top-level directory, when
# mcf2bd and mcf2b-ctl exist.

# A gateway daemon installs under /usr (config then goes to /etc, state to /var): the
# package and the paths compiled into the daemon (/etc/mcf2b, /var/lib/mcf2b) agree.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix" FORCE)
endif()
include(GNUInstallDirs)

set(MCF2B_INSTALL_DATA_DIR "${CMAKE_INSTALL_FULL_DATADIR}/mcf2b")
set(MCF2B_INSTALL_FILTER_DIR "${MCF2B_INSTALL_DATA_DIR}/filter.d")
set(MCF2B_INSTALL_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/mcf2b")
# Debian 12 keeps units under /lib (merged /usr or not).
set(MCF2B_INSTALL_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd unit goes")

# Man pages: written once in scdoc (dist/man/*.scd), generated and gzipped at build time
# (Debian policy wants them compressed; -n keeps the gzip output reproducible).
find_program(MCF2B_SCDOC scdoc)
find_program(MCF2B_GZIP gzip REQUIRED)
if(NOT MCF2B_SCDOC)
  message(FATAL_ERROR "scdoc (Debian package scdoc) generates the man pages: run scripts/setup-deps")
endif()
set(MCF2B_MAN_PAGES mcf2bd.8 mcf2b-ctl.8 mcf2bd.conf.5)
set(_mcf2b_generated)
foreach(page IN LISTS MCF2B_MAN_PAGES)
  set(src "${PROJECT_SOURCE_DIR}/dist/man/${page}.scd")
  set(out "${PROJECT_BINARY_DIR}/man/${page}.gz")
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/man"
    COMMAND sh -c "'${MCF2B_SCDOC}' < '${src}' > '${PROJECT_BINARY_DIR}/man/${page}'"
    COMMAND ${MCF2B_GZIP} -9nf "${PROJECT_BINARY_DIR}/man/${page}"
    DEPENDS "${src}"
    COMMENT "man page ${page}"
    VERBATIM)
  list(APPEND _mcf2b_generated "${out}")
endforeach()
# The package's changelog, gzipped as Debian policy wants it.
set(_mcf2b_changelog "${PROJECT_BINARY_DIR}/dist/changelog.gz")
add_custom_command(OUTPUT "${_mcf2b_changelog}"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/dist"
  COMMAND sh -c "'${MCF2B_GZIP}' -9nc < '${PROJECT_SOURCE_DIR}/dist/debian/changelog' > '${_mcf2b_changelog}'"
  DEPENDS "${PROJECT_SOURCE_DIR}/dist/debian/changelog"
  COMMENT "changelog.gz"
  VERBATIM)
add_custom_target(mcf2b-docs ALL DEPENDS ${_mcf2b_generated} "${_mcf2b_changelog}")

function(_mcf2b_install_rules)
  set(dist "${PROJECT_SOURCE_DIR}/dist")
  install(TARGETS mcf2bd RUNTIME DESTINATION "${CMAKE_INSTALL_SBINDIR}")
  install(TARGETS mcf2b-ctl RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/matcher/filters/"
    DESTINATION "${MCF2B_INSTALL_FILTER_DIR}" FILES_MATCHING PATTERN "*.conf")
  install(FILES "${dist}/grafana/mcf2b-dashboard.json" DESTINATION "${MCF2B_INSTALL_DATA_DIR}/grafana")
  install(FILES "${dist}/prometheus/mcf2b-alerts.yml" DESTINATION "${MCF2B_INSTALL_DATA_DIR}/prometheus")
  install(FILES "${dist}/bash-completion/mcf2b-ctl"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
  install(FILES "${dist}/mcf2bd.service" DESTINATION "${MCF2B_INSTALL_UNIT_DIR}")
  # Conffiles (dist/debian/conffiles): the admin's to edit, kept on upgrade and remove.
  install(FILES "${dist}/mcf2bd.conf" DESTINATION "${MCF2B_INSTALL_CONFIG_DIR}")
  install(FILES "${dist}/jail.d/mailcleaner.conf" DESTINATION "${MCF2B_INSTALL_CONFIG_DIR}/jail.d")
  install(FILES "${dist}/filter.d/README" DESTINATION "${MCF2B_INSTALL_CONFIG_DIR}/filter.d")
  foreach(page IN LISTS MCF2B_MAN_PAGES)
    string(REGEX MATCH "[0-9]$" section "${page}")
    install(FILES "${PROJECT_BINARY_DIR}/man/${page}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}")
  endforeach()
  install(FILES "${dist}/debian/copyright" "${_mcf2b_changelog}"
    DESTINATION "${CMAKE_INSTALL_DOCDIR}")

  # The Debian package, built from this build tree (scripts/package): see the README for
  # why CPack and not dpkg-buildpackage.
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGE_NAME mcf2b)
  set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
  set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(CPACK_PACKAGE_CONTACT "mcf2b developers <dev@mcf2b.invalid>")
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "fail2ban replacement for MailCleaner gateways with XDP enforcement")
  # The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; CPack indents these lines.
  string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "mcf2bd reads the exim, sshd and web UI logs of a MailCleaner gateway with\n"
    "Hyperscan and PCRE2, applies MailCleaner's jail logic (escalating tiers,\n"
    "blacklist, whitelist, cluster replication) and enforces bans with an XDP\n"
    "program over pinned BPF maps, mirrored into ipset sets named after the jails.\n"
    "mcf2b-ctl is the admin command line.")
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # mcf2b_VERSION_ARCH.deb
  set(CPACK_DEBIAN_PACKAGE_SECTION net)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # ipset: the mirror (ipset restore); iproute2/iptables: the fallback and the checks.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "ipset, iptables")
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, mariadb-server")
  # Debug symbols stay in the build tree (RelWithDebInfo): the package ships stripped
  # binaries, and no -dbgsym package for now.
  set(CPACK_STRIP_FILES ON)
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
  set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${dist}/debian/conffiles;${dist}/debian/postinst;${dist}/debian/prerm;${dist}/debian/postrm")
  set(CPACK_OUTPUT_FILE_PREFIX "${PROJECT_BINARY_DIR}/package")
  set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/_CPack_Packages_root")
  include(CPack)
endfunction()
cmake_language(DEFER CALL _mcf2b_install_rules)
