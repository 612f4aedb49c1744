// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include "base/result.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

// StateStore::scan_bans() with the reading on a thread of its own: the store decodes
// rows there while `sink` takes the previous ones on the calling thread, so at start
// SQLite's reading of a million rows and the controller's taking them overlap. Rows
// reach the sink in the store's order, in batches handed between the threads; the
// store is not called from the calling thread meanwhile. Returns the scan's status once
// every row read has been given to the sink.
Status scan_bans_overlapped(StateStore &store, const BanQuery &query,
                            const StateStore::BanSink &sink);

} // namespace mcf2b
