// The estate's node_exporter-style hosts (node_exporter.cc), and the exposition generator the
// exposition benchmark shares with them.
#pragma once

#include <cstddef>
#include <string>

namespace lookout::estate {

/// The "full" host's exposition: "/" at 57.5 %, /var/www at 96 % used, /boot/efi (vfat, no
/// inodes), pseudo filesystems (tmpfs, overlay at 99 %, squashfs at 100 %) that a disk check
/// must skip, and a stuck NFS mount reporting node_filesystem_device_error 1.
std::string node_exporter_full_exposition();

/// The "malformed" host's exposition: the full one with a bad value on line 12.
std::string node_exporter_malformed_exposition();

/// A realistic node_exporter exposition of at least `min_bytes` (CPU, memory, network, disk and
/// filesystem families for a growing number of CPUs, devices and mounts). Deterministic.
std::string node_exporter_payload(size_t min_bytes);

}  // namespace lookout::estate
