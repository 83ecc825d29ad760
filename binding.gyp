{
  "targets": [
    {
      "target_name": "tidescan_native",
      "sources": ["native/afpacket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
