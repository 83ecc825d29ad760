/*
 * tidescan_native: Linux AF_PACKET I/O for tidescan, in plain N-API C.
 *
 * What this file does, and nothing more (DESIGN.md §2, §3): open raw sockets bound to an
 * interface, move frames between the kernel and memory that JavaScript already sees, and
 * read counters. It never parses a frame. Every call works on a whole batch or a whole ring:
 * one call per 256-1024 transmitted frames, and no native call at all per received frame
 * (the TPACKET_V3 ring is walked in TypeScript, src/adapter/afpacket.ts).
 *
 * Exported functions (documented for callers in src/adapter/afpacket.ts, which is the only
 * file that loads this addon):
 *
 *   openTx(ifname, qdiscBypass, sndbufBytes, frameSize, frameCount)
 *       -> { fd, ifindex, ring: ArrayBuffer | null }
 *     SOCK_RAW socket bound to ifname with protocol 0 (so it receives nothing, and our own
 *     frames never loop back into it). frameCount == 0: no ring (sendmmsg back end).
 *     frameCount > 0: a TPACKET_V2 PACKET_TX_RING of frameCount frames of frameSize bytes,
 *     mmapped and returned as an external ArrayBuffer; frame i starts at i * frameSize and
 *     its data at i * frameSize + 32 (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)).
 *   sendBatch(fd, frames: Uint8Array, slotBase, slotSize, lens: Uint16Array, count) -> sent
 *     sendmmsg() of frames k = 0..count-1 found at frames[slotBase + k * slotSize], lens[k]
 *     bytes each. Returns how many the kernel took; a short count means EAGAIN/ENOBUFS
 *     (socket buffer or device queue full), never an exception.
 *   txRingSend(fd, first, count, fill, lens: Uint16Array, timeoutMs) -> waited (0 | 1)
 *     Marks ring frames first..first+fill-1 TP_STATUS_SEND_REQUEST (frames at index >= count
 *     get tp_len 0, which the kernel skips because PACKET_LOSS is set), kicks the kernel with
 *     send(fd, NULL, 0, MSG_DONTWAIT), then makes sure the NEXT fill frames are free again
 *     before returning, so the caller may write into them. Returns 1 if it had to wait.
 *   txRingFlush(fd, timeoutMs) -> boolean
 *     Kicks the kernel until every ring frame is free (everything queued went out); false
 *     if timeoutMs passed first. Used before close() so no queued frame is thrown away.
 *   openRx(ifname, blockSize, blockCount, retireMs, filter: Uint32Array | null,
 *          ignoreOutgoing) -> { fd, ifindex, ring: ArrayBuffer }
 *     SOCK_RAW socket, TPACKET_V3 PACKET_RX_RING of blockCount blocks, optional classic BPF
 *     filter (two u32 per instruction: code | jt << 16 | jf << 24, then k), optional
 *     PACKET_IGNORE_OUTGOING, bound to ETH_P_ALL on ifname only after all of that is set
 *     up, so no unfiltered frame ever enters the ring.
 *   poll(fd, timeoutMs) -> revents (0 on timeout or EINTR)
 *   stats(fd, out: Float64Array(3)) -> PACKET_STATISTICS into out: packets, drops,
 *     freeze count. The kernel resets its counters on every read: callers accumulate.
 *   close(fd, ring?: ArrayBuffer) -> undefined: unmaps the ring, detaches the ArrayBuffer
 *     (every view of it becomes zero-length, so a late access cannot touch unmapped
 *     memory), closes the socket.
 *
 * Errors are thrown as Error objects whose `code` is the errno name (EPERM, EACCES, ENODEV,
 * ENETDOWN, ...) and whose message names the interface; TypeScript maps them to ScanError.
 *
 * NOTE: context-aware (NAPI_MODULE_INIT): all mutable state lives in per-environment
 * instance data, so each worker thread gets its own scratch arrays and ring list.
 */
#define _GNU_SOURCE
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Offset of frame data inside a TPACKET_V2 TX frame (no PACKET_TX_HAS_OFF). */
#define TX_DATA_OFF ((unsigned)(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)))
#define MAX_BATCH 65536u

typedef struct ring {
  struct ring *next;
  int fd;
  int is_tx;
  uint8_t *addr; /* NULL once unmapped */
  size_t len;
  uint32_t frame_size; /* TX ring only */
  uint32_t frame_nr;   /* TX ring only */
  int owners; /* the env's ring list + the ArrayBuffer; freed when both let go */
} ring_t;

typedef struct {
  struct mmsghdr *msgs;
  struct iovec *iov;
  unsigned cap;
  ring_t *rings;
} inst_t;

/* ---------------------------------------------------------------- helpers */

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case ENETDOWN: return "ENETDOWN";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EMSGSIZE: return "EMSGSIZE";
    case ENETUNREACH: return "ENETUNREACH";
    default: return "ESYS";
  }
}

/* Throws Error(code = errno name, message = "<ifname>: <what>: <strerror>"). */
static napi_value throw_errno(napi_env env, const char *ifname, const char *what, int e) {
  char msg[256];
  if (ifname != NULL)
    snprintf(msg, sizeof msg, "%s: %s: %s", ifname, what, strerror(e));
  else
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

static napi_value throw_arg(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_NATIVE_ARG", msg);
  return NULL;
}

static inst_t *get_inst(napi_env env) {
  void *p = NULL;
  if (napi_get_instance_data(env, &p) != napi_ok) return NULL;
  return (inst_t *)p;
}

static void ring_release(ring_t *r) {
  if (--r->owners == 0) free(r);
}

/* Finds the live ring of fd, pruning entries whose mapping is gone. */
static ring_t *find_ring(inst_t *in, int fd) {
  ring_t **pp = &in->rings;
  while (*pp != NULL) {
    ring_t *r = *pp;
    if (r->addr == NULL) {
      *pp = r->next;
      ring_release(r);
      continue;
    }
    if (r->fd == fd) return r;
    pp = &r->next;
  }
  return NULL;
}

/* Unmaps r and drops it from the env's list (close(), or a failed open). */
static void ring_unmap(inst_t *in, ring_t *r) {
  if (r->addr != NULL) {
    munmap(r->addr, r->len);
    r->addr = NULL;
  }
  for (ring_t **pp = &in->rings; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == r) {
      *pp = r->next;
      ring_release(r);
      return;
    }
  }
}

/* Unmaps the ring of fd, if it has one, then detaches `ab` (its ArrayBuffer; NULL: none).
 * Unmap first, then detach: no JavaScript runs in between, and after the detach every view
 * of the ring has length 0, so nothing can reach the unmapped pages. The finalizer,
 * whenever it runs, only frees the ring state. Used by close() and by a failed open. */
static void drop_ring(napi_env env, int fd, napi_value ab) {
  inst_t *in = get_inst(env);
  ring_t *r = find_ring(in, fd);
  if (r == NULL) return;
  ring_unmap(in, r);
  if (ab != NULL) napi_detach_arraybuffer(env, ab);
}

/* Called when the external ArrayBuffer is collected (or after close() detached it). If the
 * caller never closed, unmap here so memory is not held forever; the fd is left alone (its
 * number may have been reused: only close() closes it). The list entry is pruned later by
 * find_ring(), so this never touches the instance data (which may already be gone when an
 * environment is torn down). */
static void ring_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  ring_t *r = (ring_t *)hint;
  if (r == NULL) return;
  if (r->addr != NULL) {
    munmap(r->addr, r->len);
    r->addr = NULL;
  }
  ring_release(r);
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}
static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) return 0;
  *out = (uint32_t)d;
  return 1;
}
static int get_bool(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return 0;
  *out = b ? 1 : 0;
  return 1;
}
static int get_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok) return 0;
  return n > 0 && n < IFNAMSIZ;
}
/* A typed array of the expected type: data pointer (already past byte_offset) and length in
 * elements. */
static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return 0;
  return t == want;
}

static napi_value make_u32(napi_env env, uint32_t v) {
  napi_value r;
  napi_create_uint32(env, v, &r);
  return r;
}
static napi_value make_i32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* Resolve the interface and check it is up, using the packet socket itself for the ioctl.
 * Returns ifindex, or 0 with an exception pending. */
static unsigned resolve_if(napi_env env, int fd, const char *ifname) {
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) {
    int e = errno == 0 ? ENODEV : errno;
    if (e == ENXIO) e = ENODEV;
    throw_errno(env, ifname, "no such interface", e);
    return 0;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
    int e = errno;
    if (e == ENXIO) e = ENODEV;
    throw_errno(env, ifname, "reading interface flags", e);
    return 0;
  }
  if (!(ifr.ifr_flags & IFF_UP)) {
    throw_errno(env, ifname, "interface is down", ENETDOWN);
    return 0;
  }
  return idx;
}

static int open_packet_socket(napi_env env, const char *ifname) {
  /* Protocol 0: the socket receives nothing until bind() names a protocol, so a TX socket
   * (bound with protocol 0) never sees a frame, and an RX socket sees none before its ring
   * and filter are ready. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    throw_errno(env, ifname, "opening a raw packet socket", e);
    return -1;
  }
  return fd;
}

static int bind_if(int fd, unsigned ifindex, uint16_t proto) {
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(proto);
  sll.sll_ifindex = (int)ifindex;
  return bind(fd, (struct sockaddr *)&sll, sizeof sll);
}

static napi_value make_open_result(napi_env env, int fd, unsigned ifindex, napi_value ring) {
  napi_value obj;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "fd", make_i32(env, fd));
  napi_set_named_property(env, obj, "ifindex", make_u32(env, ifindex));
  if (ring == NULL) napi_get_null(env, &ring);
  napi_set_named_property(env, obj, "ring", ring);
  return obj;
}

/* Maps the ring of fd and wraps it as an external ArrayBuffer registered in the env's ring
 * list. Returns NULL with an exception pending on failure. */
static napi_value map_ring(napi_env env, const char *ifname, int fd, size_t len, int is_tx, uint32_t frame_size,
                           uint32_t frame_nr) {
  inst_t *in = get_inst(env);
  void *addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, ifname, "mapping the packet ring", errno);
  ring_t *r = calloc(1, sizeof *r);
  if (r == NULL) {
    munmap(addr, len);
    return throw_errno(env, ifname, "allocating ring state", ENOMEM);
  }
  r->fd = fd;
  r->is_tx = is_tx;
  r->addr = addr;
  r->len = len;
  r->frame_size = frame_size;
  r->frame_nr = frame_nr;
  r->owners = 2;
  napi_value ab;
  if (napi_create_external_arraybuffer(env, addr, len, ring_finalize, r, &ab) != napi_ok) {
    munmap(addr, len);
    free(r);
    napi_throw_error(env, "ERR_NATIVE", "cannot wrap the packet ring as an ArrayBuffer");
    return NULL;
  }
  r->next = in->rings;
  in->rings = r;
  return ab;
}

/* ------------------------------------------------------------------ openTx */

static napi_value js_open_tx(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IFNAMSIZ + 8];
  int bypass;
  uint32_t sndbuf, frame_size, frame_nr;
  if (argc < 5 || !get_str(env, argv[0], ifname, sizeof ifname) || !get_bool(env, argv[1], &bypass) ||
      !get_u32(env, argv[2], &sndbuf) || !get_u32(env, argv[3], &frame_size) || !get_u32(env, argv[4], &frame_nr))
    return throw_arg(env, "openTx(ifname, qdiscBypass, sndbufBytes, frameSize, frameCount): bad arguments");
  if (frame_nr > 0) {
    long page = sysconf(_SC_PAGESIZE);
    if (frame_size < TPACKET2_HDRLEN || frame_size % TPACKET_ALIGNMENT != 0 || (frame_size & (frame_size - 1)) != 0 ||
        frame_size > (uint32_t)page * 16u || frame_nr > (1u << 22))
      return throw_arg(env, "openTx: frameSize must be a power of two >= 64 and <= 16 pages");
  }

  int fd = open_packet_socket(env, ifname);
  if (fd < 0) return NULL;
  unsigned ifindex = resolve_if(env, fd, ifname);
  if (ifindex == 0) goto fail;

  if (bypass) {
    int one = 1;
    /* Skips the qdisc layer: frames go straight to the driver, and a full device queue is
     * reported to us (ENOBUFS, or the frame stays queued in the TX ring) instead of being
     * queued twice. */
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) {
      throw_errno(env, ifname, "setting PACKET_QDISC_BYPASS", errno);
      goto fail;
    }
  }
  if (sndbuf > 0) {
    int v = (int)(sndbuf > 0x7fffffffu ? 0x7fffffffu : sndbuf);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0)
      (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  }
  /* A blocking send may wait for socket-buffer space, but never more than 100 ms: the
   * caller sees a short count (sendmmsg) or another wait round (TX ring) instead of a hang. */
  struct timeval tv = {0, 100000};
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  napi_value ring = NULL;
  if (frame_nr > 0) {
    int v = TPACKET_V2;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) {
      throw_errno(env, ifname, "setting TPACKET_V2", errno);
      goto fail;
    }
    /* PACKET_LOSS: a frame the kernel cannot send as given (here: tp_len 0, our "skip" mark
     * for the unused tail of a short batch) is released and skipped instead of stopping the
     * ring with TP_STATUS_WRONG_FORMAT. */
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one) < 0) {
      throw_errno(env, ifname, "setting PACKET_LOSS", errno);
      goto fail;
    }
    long page = sysconf(_SC_PAGESIZE);
    uint32_t block = (uint32_t)page;
    if (block < frame_size) block = frame_size;
    /* Larger blocks mean fewer allocations; keep them at most 64 KiB and a multiple of the
     * frame size (both are powers of two), and frame_nr a whole number of blocks. */
    while (block < 65536u && (frame_nr * (uint64_t)frame_size) % ((uint64_t)block * 2) == 0) block *= 2;
    if ((frame_nr * (uint64_t)frame_size) % block != 0) {
      throw_arg(env, "openTx: frameCount * frameSize must be a multiple of the page size");
      goto fail;
    }
    struct tpacket_req req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = block;
    req.tp_frame_size = frame_size;
    req.tp_block_nr = (unsigned)((frame_nr * (uint64_t)frame_size) / block);
    req.tp_frame_nr = frame_nr;
    if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) {
      throw_errno(env, ifname, "setting up PACKET_TX_RING", errno);
      goto fail;
    }
    ring = map_ring(env, ifname, fd, (size_t)frame_nr * frame_size, 1, frame_size, frame_nr);
    if (ring == NULL) goto fail;
  }
  if (bind_if(fd, ifindex, 0) < 0) {
    int e = errno;
    if (ring != NULL) drop_ring(env, fd, ring);
    throw_errno(env, ifname, "binding the packet socket", e);
    goto fail;
  }
  return make_open_result(env, fd, ifindex, ring);
fail:
  close(fd);
  return NULL;
}

/* --------------------------------------------------------------- sendBatch */

static int ensure_scratch(inst_t *in, unsigned n) {
  if (in->cap >= n) return 1;
  unsigned cap = in->cap == 0 ? 256 : in->cap;
  while (cap < n) cap *= 2;
  struct mmsghdr *m = realloc(in->msgs, sizeof *m * cap);
  if (m == NULL) return 0;
  in->msgs = m;
  struct iovec *v = realloc(in->iov, sizeof *v * cap);
  if (v == NULL) return 0;
  in->iov = v;
  in->cap = cap;
  return 1;
}

static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint8_t *frames;
  size_t frames_len;
  uint16_t *lens;
  size_t lens_len;
  uint32_t base, slot, count;
  if (argc < 6 || !get_i32(env, argv[0], &fd) ||
      !get_typed(env, argv[1], napi_uint8_array, (void **)&frames, &frames_len) || !get_u32(env, argv[2], &base) ||
      !get_u32(env, argv[3], &slot) || !get_typed(env, argv[4], napi_uint16_array, (void **)&lens, &lens_len) ||
      !get_u32(env, argv[5], &count))
    return throw_arg(env, "sendBatch(fd, frames, slotBase, slotSize, lens, count): bad arguments");
  if (count == 0) return make_u32(env, 0);
  if (count > MAX_BATCH || count > lens_len) return throw_arg(env, "sendBatch: count exceeds lens or 65536");
  inst_t *in = get_inst(env);
  if (!ensure_scratch(in, count)) return throw_errno(env, NULL, "sendBatch scratch", ENOMEM);
  struct mmsghdr *msgs = in->msgs;
  struct iovec *iov = in->iov;
  for (uint32_t k = 0; k < count; k++) {
    uint64_t off = (uint64_t)base + (uint64_t)k * slot;
    uint32_t len = lens[k];
    /* Every frame must lie inside the caller's buffer: no read past it, ever. */
    if (off + len > frames_len) return throw_arg(env, "sendBatch: a frame lies outside the buffer");
    iov[k].iov_base = frames + off;
    iov[k].iov_len = len;
    memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
    msgs[k].msg_len = 0;
  }
  uint32_t done = 0;
  int spins = 0;
  while (done < count) {
    int rc = sendmmsg(fd, msgs + done, count - done, 0);
    if (rc < 0) {
      int e = errno;
      if (e == EINTR && ++spins < 16) continue;
      /* Full socket buffer (timed out waiting) or full device queue: a short count. */
      if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) break;
      return throw_errno(env, NULL, "sendmmsg", e);
    }
    if (rc == 0) break;
    done += (uint32_t)rc;
  }
  return make_u32(env, done);
}

/* -------------------------------------------------------------- txRingSend */

static inline uint32_t load_acquire(volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void store_release(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* True when frames first..first+n-1 (mod frame_nr) are all owned by user space again. */
static int region_free(const ring_t *r, uint32_t first, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t idx = (first + i) % r->frame_nr;
    volatile struct tpacket2_hdr *h = (volatile struct tpacket2_hdr *)(r->addr + (size_t)idx * r->frame_size);
    if (load_acquire(&h->tp_status) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) return 0;
  }
  return 1;
}

/* Asks the kernel to transmit the frames marked TP_STATUS_SEND_REQUEST. Returns 0, or the
 * errno of a failure that is not transient (a full queue or a signal is retried later). */
static int tx_kick(int fd) {
  if (send(fd, NULL, 0, MSG_DONTWAIT) >= 0) return 0;
  int e = errno;
  return (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) ? 0 : e;
}

/* Kicks the kernel, sleeping from 5 us doubling up to 1 ms between kicks, until frames
 * first..first+n-1 (mod frame_nr) are free or timeout_ms passes. Returns 1 when they are
 * free, 0 on timeout, -errno when a kick fails. */
static int tx_wait_free(int fd, const ring_t *r, uint32_t first, uint32_t n, uint32_t timeout_ms) {
  uint64_t deadline = now_ms() + timeout_ms;
  long sleep_ns = 5000;
  for (;;) {
    int e = tx_kick(fd);
    if (e != 0) return -e;
    if (region_free(r, first, n)) return 1;
    if (now_ms() >= deadline) return 0;
    struct timespec ts = {0, sleep_ns};
    nanosleep(&ts, NULL);
    if (sleep_ns < 1000000) sleep_ns *= 2;
  }
}

static napi_value js_tx_ring_send(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint32_t first, count, fill, timeout;
  uint16_t *lens;
  size_t lens_len;
  if (argc < 6 || !get_i32(env, argv[0], &fd) || !get_u32(env, argv[1], &first) || !get_u32(env, argv[2], &count) ||
      !get_u32(env, argv[3], &fill) || !get_typed(env, argv[4], napi_uint16_array, (void **)&lens, &lens_len) ||
      !get_u32(env, argv[5], &timeout))
    return throw_arg(env, "txRingSend(fd, first, count, fill, lens, timeoutMs): bad arguments");
  ring_t *r = find_ring(get_inst(env), fd);
  if (r == NULL || !r->is_tx) return throw_arg(env, "txRingSend: fd has no TX ring");
  if (fill == 0 || count > fill || count > lens_len || first >= r->frame_nr || fill > r->frame_nr ||
      first + fill > r->frame_nr)
    return throw_arg(env, "txRingSend: batch does not fit the ring");
  uint32_t max_len = r->frame_size - TX_DATA_OFF;
  for (uint32_t i = 0; i < count; i++)
    if (lens[i] > max_len) return throw_arg(env, "txRingSend: a frame is longer than the ring frame");

  /* Hand the batch to the kernel. The release store orders our writes of frame bytes and
   * tp_len before the status word the kernel polls. Frames past `count` get tp_len 0: the
   * kernel rejects them as malformed and, with PACKET_LOSS, marks them available and moves
   * its head on, so the ring stays in step with whole batches. */
  for (uint32_t i = 0; i < fill; i++) {
    volatile struct tpacket2_hdr *h = (volatile struct tpacket2_hdr *)(r->addr + (size_t)(first + i) * r->frame_size);
    h->tp_len = i < count ? lens[i] : 0;
    h->tp_snaplen = h->tp_len;
    store_release(&h->tp_status, TP_STATUS_SEND_REQUEST);
  }
  int e = tx_kick(fd);
  if (e != 0) return throw_errno(env, NULL, "send (tx ring)", e);

  /* The caller writes the next batch as soon as we return: make sure its frames are free. */
  uint32_t next = (first + fill) % r->frame_nr;
  if (region_free(r, next, fill)) return make_u32(env, 0);
  int w = tx_wait_free(fd, r, next, fill, timeout);
  if (w < 0) return throw_errno(env, NULL, "send (tx ring)", -w);
  if (w == 0) return throw_errno(env, NULL, "tx ring stalled (frames not completed)", ETIMEDOUT);
  return make_u32(env, 1);
}

/* Kicks the kernel until every frame of the TX ring is free again (all queued frames sent
 * or dropped by the driver), or timeoutMs passes. Returns true when the ring is empty. */
static napi_value js_tx_ring_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint32_t timeout;
  if (argc < 2 || !get_i32(env, argv[0], &fd) || !get_u32(env, argv[1], &timeout))
    return throw_arg(env, "txRingFlush(fd, timeoutMs): bad arguments");
  ring_t *r = find_ring(get_inst(env), fd);
  if (r == NULL || !r->is_tx) return throw_arg(env, "txRingFlush: fd has no TX ring");
  int w = tx_wait_free(fd, r, 0, r->frame_nr, timeout);
  if (w < 0) return throw_errno(env, NULL, "send (tx ring)", -w);
  napi_value res;
  napi_get_boolean(env, w == 1, &res);
  return res;
}

/* ------------------------------------------------------------------ openRx */

static napi_value js_open_rx(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IFNAMSIZ + 8];
  uint32_t block_size, block_nr, retire_ms;
  int ignore_out;
  if (argc < 6 || !get_str(env, argv[0], ifname, sizeof ifname) || !get_u32(env, argv[1], &block_size) ||
      !get_u32(env, argv[2], &block_nr) || !get_u32(env, argv[3], &retire_ms) || !get_bool(env, argv[5], &ignore_out))
    return throw_arg(env, "openRx(ifname, blockSize, blockCount, retireMs, filter, ignoreOutgoing): bad arguments");
  long page = sysconf(_SC_PAGESIZE);
  if (block_size < (uint32_t)page || block_size % (uint32_t)page != 0 || (block_size & (block_size - 1)) != 0 ||
      block_nr == 0 || (uint64_t)block_size * block_nr > (1ull << 32))
    return throw_arg(env, "openRx: blockSize must be a power-of-two multiple of the page size, ring <= 4 GiB");

  struct sock_filter *insns = NULL;
  unsigned short ninsns = 0;
  napi_valuetype ft;
  napi_typeof(env, argv[4], &ft);
  uint32_t *fw = NULL;
  size_t fw_len = 0;
  if (ft != napi_null && ft != napi_undefined) {
    if (!get_typed(env, argv[4], napi_uint32_array, (void **)&fw, &fw_len) || fw_len == 0 || fw_len % 2 != 0 ||
        fw_len / 2 > BPF_MAXINSNS)
      return throw_arg(env, "openRx: filter must be a Uint32Array of 1..4096 (code|jt<<16|jf<<24, k) pairs");
    ninsns = (unsigned short)(fw_len / 2);
  }

  int fd = open_packet_socket(env, ifname);
  if (fd < 0) return NULL;
  unsigned ifindex = resolve_if(env, fd, ifname);
  if (ifindex == 0) goto fail;

  int v = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) {
    throw_errno(env, ifname, "setting TPACKET_V3", errno);
    goto fail;
  }
  if (ninsns > 0) {
    insns = calloc(ninsns, sizeof *insns);
    if (insns == NULL) {
      throw_errno(env, ifname, "allocating the BPF program", ENOMEM);
      goto fail;
    }
    for (unsigned i = 0; i < ninsns; i++) {
      uint32_t w = fw[2 * i];
      insns[i].code = (uint16_t)(w & 0xffff);
      insns[i].jt = (uint8_t)((w >> 16) & 0xff);
      insns[i].jf = (uint8_t)(w >> 24);
      insns[i].k = fw[2 * i + 1];
    }
    struct sock_fprog prog = {ninsns, insns};
    /* The kernel validates the program (sk_chk_filter): a bad one fails with EINVAL. */
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
      int e = errno;
      free(insns);
      throw_errno(env, ifname, "attaching the BPF filter", e);
      goto fail;
    }
    free(insns);
  }
  if (ignore_out) {
    int one = 1;
    /* Linux >= 4.20: frames this host sends on the interface (ours included) never enter. */
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
      throw_errno(env, ifname, "setting PACKET_IGNORE_OUTGOING (needs Linux 4.20+)", errno);
      goto fail;
    }
  }
  struct tpacket_req3 req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = block_size;
  req.tp_block_nr = block_nr;
  req.tp_frame_size = 2048;
  req.tp_frame_nr = (block_size / 2048) * block_nr;
  req.tp_retire_blk_tov = retire_ms;
  req.tp_sizeof_priv = 0;
  req.tp_feature_req_word = 0;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
    throw_errno(env, ifname, "setting up PACKET_RX_RING", errno);
    goto fail;
  }
  napi_value ring = map_ring(env, ifname, fd, (size_t)block_size * block_nr, 0, 0, 0);
  if (ring == NULL) goto fail;
  if (bind_if(fd, ifindex, ETH_P_ALL) < 0) {
    int e = errno;
    drop_ring(env, fd, ring);
    throw_errno(env, ifname, "binding the packet socket", e);
    goto fail;
  }
  return make_open_result(env, fd, ifindex, ring);
fail:
  close(fd);
  return NULL;
}

/* -------------------------------------------------------------- poll/stats */

static napi_value js_poll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, timeout;
  if (argc < 2 || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &timeout))
    return throw_arg(env, "poll(fd, timeoutMs): bad arguments");
  struct pollfd p = {fd, POLLIN | POLLERR, 0};
  int rc = poll(&p, 1, timeout < 0 ? 0 : timeout);
  if (rc < 0) {
    if (errno == EINTR) return make_u32(env, 0);
    return throw_errno(env, NULL, "poll", errno);
  }
  return make_u32(env, rc == 0 ? 0 : (uint32_t)p.revents);
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  double *out;
  size_t out_len;
  if (argc < 2 || !get_i32(env, argv[0], &fd) || !get_typed(env, argv[1], napi_float64_array, (void **)&out, &out_len) ||
      out_len < 3)
    return throw_arg(env, "stats(fd, out: Float64Array(3)): bad arguments");
  struct tpacket_stats_v3 st;
  memset(&st, 0, sizeof st);
  socklen_t len = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) return throw_errno(env, NULL, "PACKET_STATISTICS", errno);
  out[0] = st.tp_packets;
  out[1] = st.tp_drops;
  out[2] = len >= sizeof st ? st.tp_freeze_q_cnt : 0;
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || !get_i32(env, argv[0], &fd)) return throw_arg(env, "close(fd, ring?): bad arguments");
  bool is_ab = false;
  if (argc >= 2) napi_is_arraybuffer(env, argv[1], &is_ab);
  drop_ring(env, fd, is_ab ? argv[1] : NULL);
  if (fd >= 0) close(fd);
  return NULL;
}

/* ------------------------------------------------------------------- init */

static void inst_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  inst_t *in = (inst_t *)data;
  /* Rings still listed: drop the list's share; their ArrayBuffer finalizers own the rest. */
  while (in->rings != NULL) {
    ring_t *r = in->rings;
    in->rings = r->next;
    ring_release(r);
  }
  free(in->msgs);
  free(in->iov);
  free(in);
}

NAPI_MODULE_INIT() {
  inst_t *in = calloc(1, sizeof *in);
  if (in == NULL) return NULL;
  if (napi_set_instance_data(env, in, inst_finalize, NULL) != napi_ok) {
    free(in);
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"openTx", NULL, js_open_tx, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendBatch", NULL, js_send_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"txRingSend", NULL, js_tx_ring_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"txRingFlush", NULL, js_tx_ring_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openRx", NULL, js_open_rx, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poll", NULL, js_poll, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value txoff;
  napi_create_uint32(env, TX_DATA_OFF, &txoff);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "TX_DATA_OFFSET", txoff);
  return exports;
}
