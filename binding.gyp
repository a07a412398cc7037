{
  "targets": [
    {
      "target_name": "vu",
      "type": "shared_library",
      "product_prefix": "lib",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": [
        "<!@(node tools/sources.mjs)"
      ],
      "include_dirs": ["runtime/api", "runtime/core", "runtime/libc", "runtime/config", "generated-c"],
      "actions": [
        {
          "action_name": "libc_calls",
          "inputs": ["tools/libc-calls.mjs", "generated-c/vu_fn.def", "syscalls.json"],
          "outputs": ["<(INTERMEDIATE_DIR)/vu_fncalls.c"],
          "action": ["node", "tools/libc-calls.mjs", "<(INTERMEDIATE_DIR)/vu_fncalls.c"],
          "process_outputs_as_sources": 1,
          "message": "vu: the calls of glibc's functions, from its binary (tools/libc-calls.mjs)"
        }
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags": [
        "-std=gnu11", "-D_GNU_SOURCE", "-DVU_BUILDING_LIBVU", "-O2", "-g", "-fPIC", "-fvisibility=hidden",
        "-fno-stack-protector", "-fno-builtin", "-ffunction-sections",
        "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-array-parameter", "-Wno-deprecated-declarations"
      ],
      "ldflags": [
        "-Wl,--version-script=<(module_root_dir)/generated-c/vu.map",
        "-Wl,-T,<(module_root_dir)/runtime/text-order.ld", "-Wl,-z,now", "-Wl,-z,initfirst", "-Wl,-fini=vu_fini", "-Wl,-Bsymbolic-functions", "-Wl,-z,noexecstack", "-Wl,--no-undefined", "-static-libgcc"
      ],
      "libraries": ["-ldl"]
    },
    {
      "target_name": "vu-static",
      "type": "executable",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": ["runtime/vu-static.c"],
      "cflags": ["-std=gnu11", "-O2", "-g", "-fPIE", "-Wall", "-Wextra", "-Werror"],
      "ldflags": ["-pie", "-Wl,-z,now", "-Wl,-z,noexecstack"],
      "libraries": ["-ldl"]
    }
  ]
}
