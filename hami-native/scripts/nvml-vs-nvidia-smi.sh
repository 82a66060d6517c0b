#!/usr/bin/env bash
# Read-only hardware check for a GPU machine: lists the GPUs through HAMi-J's JNA binding (dev.hamij.nvml.NvmlReport)
# and through nvidia-smi, then compares UUID, name, total memory and PCI bus id per NVML index.
# It never changes MIG mode, never creates MIG instances and never resets a GPU.
#
# Usage: nvml-vs-nvidia-smi.sh CLASSPATH [OUTDIR]
#   CLASSPATH  hami-native and hami-api classes plus the JNA and Jackson jars
#   OUTDIR     where the raw outputs are written (default: current directory)
# Exit status: 0 when every GPU matches, 1 on a mismatch, 2 when a tool is missing.
set -euo pipefail
cp="${1:?usage: nvml-vs-nvidia-smi.sh CLASSPATH [OUTDIR]}"
out="${2:-.}"
mkdir -p "$out"
command -v java >/dev/null || { echo "java not found" >&2; exit 2; }
command -v nvidia-smi >/dev/null || { echo "nvidia-smi not found" >&2; exit 2; }

java -cp "$cp" dev.hamij.nvml.NvmlReport > "$out/nvml-report.txt"
nvidia-smi -q > "$out/nvidia-smi-q.txt"
nvidia-smi --query-gpu=index,uuid,name,memory.total,pci.bus_id --format=csv,noheader,nounits > "$out/nvidia-smi.csv"
nvidia-smi mig -lgip > "$out/nvidia-smi-mig-lgip.txt" 2>&1 || true
nvidia-smi mig -lgipp > "$out/nvidia-smi-mig-lgipp.txt" 2>&1 || true

awk -F', ' '
  FNR == NR { smi[$1] = $2 "|" $3 "|" $4 "|" toupper($5); n++; next }
  /^gpu [0-9]+ uuid=/ {
    split($0, w, " "); idx = w[2]
    match($0, /uuid=[^ ]+/); uuid = substr($0, RSTART + 5, RLENGTH - 5)
    match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
    match($0, /memoryMiB=[^ ]+/); mem = substr($0, RSTART + 10, RLENGTH - 10)
    match($0, /bus=[^ ]+/); bus = toupper(substr($0, RSTART + 4, RLENGTH - 4))
    got = uuid "|" name "|" mem "|" bus
    if (got == smi[idx]) { print "MATCH    gpu " idx ": " got } else { print "MISMATCH gpu " idx ": nvml " got " / nvidia-smi " smi[idx]; bad = 1 }
    seen++
  }
  END { if (seen != n) { print "MISMATCH nvml lists " seen " GPUs, nvidia-smi " n; bad = 1 } exit bad }
' "$out/nvidia-smi.csv" "$out/nvml-report.txt" | tee "$out/comparison.txt"
