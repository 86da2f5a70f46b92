"""engine/runtime.py on recorded load logs: where the layers went, how many were offloaded, what
flash attention resolved to, and the Runtime built from them (CPU and GPU loads, no model)."""

from __future__ import annotations

from engine.runtime import LoadLog, build_runtime, read_load_log
from engine.types import ComputeDevice, FlashAttention, ModelConfig


def layer_lines(devices: list[str]) -> list[str]:
    return [f"load_tensors: layer {i:3d} assigned to device {d}, is_swa = 0\n" for i, d in enumerate(devices)]


def kv_lines(devices: list[str]) -> list[str]:
    return [f"llama_kv_cache: layer {i:3d}: dev = {d}\n" for i, d in enumerate(devices)]


# What the pinned llama.cpp logged loading the default model on this CPU build (trimmed).
CPU_LOG = [*layer_lines(["CPU"] * 31), "load_tensors:   CPU_Mapped model buffer size =    92.10 MiB\n",
           "llama_context: n_batch               = 512\n", "llama_context: flash_attn            = auto\n",
           *kv_lines(["CPU"] * 30), "resolve_fused_ops: Flash Attention enabled\n",
           "resolve_fused_ops: fused DeepSeek V4 HC pre enabled\n"]

CPU = ComputeDevice("CPU", "AMD EPYC 7B13", "cpu", 0, 0)
GPU = ComputeDevice("CUDA0", "NVIDIA H100 80GB HBM3", "gpu", 80 << 30, 79 << 30)


def runtime(log: LoadLog, devices=(CPU,), can_offload=False, **config):
    return build_runtime(ModelConfig("m.gguf", **config), log, backends=[d.name.rstrip("0") for d in devices],
                         devices=devices, can_offload=can_offload, n_layer=30, type_k="f16",
                         type_v="f16", n_batch=512, n_ubatch=64, n_threads=2, n_threads_batch=2)


def test_a_cpu_load_puts_every_layer_on_the_cpu_with_flash_attention_resolved_on():
    log = read_load_log(CPU_LOG)
    assert log.layer_devices == ("CPU",) * 31 and log.offloaded is None and log.flash_attn is True
    r = runtime(log)
    assert r.devices == ("CPU: AMD EPYC 7B13",) and r.device_names == "CPU"
    assert (r.layers_offloaded, r.layers_total) == (0, 31)
    assert r.flash_attn is FlashAttention.AUTO and r.flash_attn_in_effect is True
    assert (r.n_batch, r.n_ubatch, r.n_threads, r.type_k) == (512, 64, 2, "f16")


def test_fragments_split_mid_line_are_joined_before_reading():
    text = "".join(CPU_LOG)
    cut = text.index("Flash Attention") + 5
    assert read_load_log([text[:cut], text[cut:]]).flash_attn is True


def test_a_full_gpu_offload_names_the_gpu_and_counts_the_layers():
    log = read_load_log([*layer_lines(["CUDA0"] * 31), "load_tensors: offloading output layer to GPU\n",
                         "load_tensors: offloaded 31/31 layers to GPU\n",
                         "llama_context: flash_attn            = enabled\n", *kv_lines(["CUDA0"] * 30)])
    r = runtime(log, devices=(GPU, CPU), can_offload=True, n_gpu_layers=-1, flash_attn=FlashAttention.ON)
    assert r.devices == ("CUDA0: NVIDIA H100 80GB HBM3",) and r.device_names == "CUDA0"
    assert (r.n_gpu_layers, r.layers_offloaded, r.layers_total) == (-1, 31, 31)
    assert r.flash_attn_in_effect is True and r.backends == ("CUDA", "CPU")


def test_a_partial_offload_lists_both_devices_and_counts_from_the_placement_not_the_request():
    # llama.cpp's "offloaded N/M" is min(n_gpu_layers, M): the placement lines say what happened.
    log = read_load_log([*layer_lines(["CPU"] * 21 + ["CUDA0"] * 10),
                         "load_tensors: offloaded 12/31 layers to GPU\n"])
    r = runtime(log, devices=(GPU, CPU), can_offload=True, n_gpu_layers=12)
    assert r.device_names == "CPU+CUDA0" and r.layers_offloaded == 10 and r.layers_total == 31


def test_without_placement_lines_the_offload_line_and_the_build_say_what_they_can():
    only_count = runtime(read_load_log(["load_tensors: offloaded 31/31 layers to GPU\n"]),
                         devices=(GPU, CPU), can_offload=True, n_gpu_layers=-1)
    assert only_count.device_names == "CUDA0" and only_count.layers_offloaded == 31
    cpu_build = runtime(read_load_log([]), n_gpu_layers=-1)  # nothing to offload to
    assert cpu_build.device_names == "CPU" and (cpu_build.layers_offloaded, cpu_build.layers_total) == (0, 31)
    silent_gpu = runtime(read_load_log([]), devices=(GPU, CPU), can_offload=True, n_gpu_layers=5)
    assert silent_gpu.layers_offloaded is None  # never a guess


def test_flash_attention_as_requested_and_as_llama_cpp_settled_it():
    def effect(*lines: str) -> bool | None:
        return read_load_log([line + "\n" for line in lines]).flash_attn

    assert effect("llama_context: flash_attn            = disabled") is False
    assert effect("llama_context: flash_attn            = enabled") is True
    assert effect("llama_context: flash_attn            = auto") is None  # not resolved (yet)
    assert effect("llama_context: flash_attn            = auto",
                  "resolve_fused_ops: Flash Attention not supported, set to disabled") is False
    assert effect("llama_context: flash_attn is not compatible with Grok - forcing off",
                  "llama_context: flash_attn            = enabled") is False
    assert effect("llama_context: enabling flash_attn since it is required for quantized V cache",
                  "llama_context: flash_attn            = disabled") is True
    assert effect("resolve_fused_ops: fused Gated Delta Net (chunked) enabled") is None
