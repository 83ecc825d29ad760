/* Placeholder translation unit so that node-gyp has something to build while the
 * packet I/O addon is being written. It registers an empty module. */
#include <node_api.h>

static napi_value init(napi_env env, napi_value exports) {
  (void)env;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
