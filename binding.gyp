{
  "targets": [
    {
      "target_name": "vu",
      "type": "shared_library",
      "product_prefix": "lib",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": [
        "runtime/gate.S",
        "runtime/util.c",
        "runtime/json.c",
        "runtime/path.c",
        "runtime/config.c",
        "runtime/dispatch.c",
        "runtime/procmodel.c",
        "runtime/signals.c",
        "runtime/sud.c",
        "runtime/fds.c",
        "runtime/exec.c",
        "runtime/init.c",
        "layers/remap.c",
        "generated-c/vu_syscall_table.c",
        "generated-c/vu_libc.c",
        "generated-c/vu_layer_types.c"
      ],
      "include_dirs": ["runtime", "generated-c"],
      "cflags!": ["-fno-exceptions"],
      "cflags": [
        "-std=gnu11", "-D_GNU_SOURCE", "-O2", "-g", "-fPIC", "-fvisibility=hidden",
        "-fno-stack-protector", "-fno-builtin",
        "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-Wno-array-parameter"
      ],
      "ldflags": [
        "-Wl,--version-script=<(module_root_dir)/generated-c/vu.map",
        "-Wl,-z,now", "-Wl,-z,noexecstack", "-Wl,--no-undefined"
      ],
      "libraries": ["-ldl"]
    }
  ]
}
