package dev.hamij.plugin;

import java.nio.file.Path;

/**
 * The preload library as installed on the host: the exact file Allocate mounts into containers,
 * the {@code ld.so.preload} that names it inside containers, and the payload's SHA-256 (hex).
 */
record InstalledLibrary(Path library, Path preloadFile, String sha256) {}
