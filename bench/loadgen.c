/*
 * tickstream benchmark load generator.
 *
 * One single-threaded epoll loop that opens many WebSocket client connections
 * to 127.0.0.1 and then only reads. It is written in C so that the generator is
 * never the bottleneck when a Node server is measured; it reports its own CPU
 * use (getrusage) so the results table can prove that.
 *
 * Modes
 *   recv  open N connections, print {"event":"connected"}, then count server
 *         messages. The measurement window opens at the first data message plus
 *         --warmup seconds and lasts --measure seconds. Messages whose payload
 *         holds "<ts-key>":<CLOCK_MONOTONIC ns> feed a latency histogram
 *         (the servers stamp process.hrtime.bigint(), which is CLOCK_MONOTONIC
 *         on Linux, so the two processes share one clock).
 *   open  open N connections with at most --concurrency handshakes in flight
 *         and report handshakes/s; with --hold, keep them open until stdin
 *         gets a line (or EOF), so the orchestrator can read the server's RSS.
 *
 * Output: JSON lines on stdout. Build: gcc -O2 -o loadgen loadgen.c -lz
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum state { ST_IDLE, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSED };

struct conn {
  int fd;
  enum state st;
  unsigned char *pending; /* bytes of an incomplete frame / handshake response */
  size_t plen, pcap;
  z_stream *inflater;     /* only when permessage-deflate was negotiated */
  int in_compressed_msg;  /* current fragmented message has RSV1 */
  int no_context;         /* server_no_context_takeover: each message inflates on its own */
};

/* ---------- options ---------- */
static const char *opt_mode = "recv";
static const char *opt_host = "127.0.0.1";
static int opt_port = 0;
static const char *opt_path = "/";
static int opt_conns = 100;
static int opt_concurrency = 100;
static double opt_warmup = 0.5, opt_measure = 3.0, opt_timeout = 60.0;
static int opt_deflate = 0;
static int opt_hold = 0;
/* recv: stop waiting for the last handshakes after this many seconds and measure anyway (0 = wait). */
static double opt_connect_wait = 0;
static int opt_src_addrs = 1;
static int opt_rcvbuf = 131072;
static char opt_ts_key[64] = "\"t\":";
static char opt_count_key[64] = "";
static long long n_items_window = 0;
static int opt_ts_epoch_ms = 0; /* timestamp unit: 0 = CLOCK_MONOTONIC ns, 1 = epoch ms */
static char **paths = NULL; static int npaths = 0;
static char **hellos = NULL; static int nhellos = 0;

/* ---------- state ---------- */
static struct conn *conns;
static int epfd;
static int n_started = 0, n_inflight = 0, n_open = 0, n_failed = 0, n_closed_by_server = 0;
static long long n_msgs_total = 0, n_msgs_window = 0, n_bytes_window = 0, n_compressed_window = 0;
static double t_first_msg = -1, t_win_start = -1, t_win_end = -1;
static double t_open_start = 0, t_open_done = 0;
static struct rusage ru_win_start;
static int window_state = 0; /* 0 waiting for first msg, 1 warmup, 2 measuring, 3 done */
static unsigned char *rbuf; static size_t rbuf_cap = 1 << 20;
static unsigned char *zbuf; static size_t zbuf_cap = 1 << 16;
static char first_error[256] = "";

/* Latency histogram: 1 us buckets below 100 ms, 100 us buckets up to 100 s. */
#define FINE_N 100000
#define COARSE_N 1000000
static uint32_t *hist_fine, *hist_coarse;
static long long lat_n = 0, lat_over = 0; static double lat_max_us = 0, lat_sum_us = 0;

static double now_mono(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static long long now_mono_ns(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static long long now_epoch_ms(void) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
static void note_error(const char *what) {
  if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", what);
}

static void record_latency(double us) {
  if (us < 0) us = 0;
  lat_n++; lat_sum_us += us;
  if (us > lat_max_us) lat_max_us = us;
  if (us < FINE_N) hist_fine[(int)us]++;
  else if (us < (double)FINE_N + (double)COARSE_N * 100) hist_coarse[(int)((us - FINE_N) / 100)]++;
  else lat_over++;
}
static double percentile(double p) {
  if (lat_n == 0) return 0;
  long long target = (long long)(p * lat_n); if (target >= lat_n) target = lat_n - 1;
  long long seen = 0;
  for (int i = 0; i < FINE_N; i++) { seen += hist_fine[i]; if (seen > target) return i + 0.5; }
  for (int i = 0; i < COARSE_N; i++) { seen += hist_coarse[i]; if (seen > target) return FINE_N + i * 100.0 + 50; }
  return lat_max_us;
}

/* ---------- helpers ---------- */
static char **read_lines(const char *file, int *n) {
  FILE *f = fopen(file, "r"); if (!f) { perror(file); exit(2); }
  char **out = NULL; int cap = 0; *n = 0; char *line = NULL; size_t lcap = 0; ssize_t len;
  while ((len = getline(&line, &lcap, f)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    if (len == 0) continue;
    if (*n == cap) { cap = cap ? cap * 2 : 64; out = realloc(out, cap * sizeof *out); }
    out[(*n)++] = strdup(line);
  }
  free(line); fclose(f);
  return out;
}

static void pending_store(struct conn *c, const unsigned char *p, size_t n) {
  if (n > c->pcap) { c->pcap = n < 256 ? 256 : n; c->pending = realloc(c->pending, c->pcap); }
  memmove(c->pending, p, n); c->plen = n;
}

/* Writes a small masked client frame (pong, hello, close). Blocking-ish: small
 * frames into an almost empty socket buffer; a short write is reported. */
static void send_masked(struct conn *c, int opcode, const unsigned char *payload, size_t len) {
  unsigned char hdr[14]; size_t h = 0;
  hdr[h++] = 0x80 | opcode;
  if (len < 126) hdr[h++] = 0x80 | len;
  else if (len < 65536) { hdr[h++] = 0x80 | 126; hdr[h++] = len >> 8; hdr[h++] = len & 255; }
  else { hdr[h++] = 0x80 | 127; for (int i = 7; i >= 0; i--) hdr[h++] = (len >> (8 * i)) & 255; }
  uint32_t key = (uint32_t)random(); unsigned char mk[4]; memcpy(mk, &key, 4);
  memcpy(hdr + h, mk, 4); h += 4;
  unsigned char *frame = malloc(h + len); memcpy(frame, hdr, h);
  for (size_t i = 0; i < len; i++) frame[h + i] = payload[i] ^ mk[i & 3];
  ssize_t w = write(c->fd, frame, h + len);
  if (w != (ssize_t)(h + len)) note_error("short write of a client frame");
  free(frame);
}

static void close_conn(struct conn *c, int failed) {
  if (c->st == ST_CLOSED) return;
  if (c->st == ST_CONNECTING || c->st == ST_HANDSHAKE) n_inflight--;
  if (c->st == ST_OPEN) n_open--;
  if (failed) n_failed++;
  /* RST instead of FIN: leaves no TIME_WAIT behind, so repeated runs do not
   * exhaust the ephemeral port range. */
  struct linger lg = { 1, 0 }; setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd); c->fd = -1; c->st = ST_CLOSED;
  free(c->pending); c->pending = NULL; c->plen = c->pcap = 0;
  if (c->inflater) { inflateEnd(c->inflater); free(c->inflater); c->inflater = NULL; }
}

static int start_connect(int idx) {
  struct conn *c = &conns[idx];
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { note_error("socket() failed (raise ulimit -n?)"); n_failed++; c->st = ST_CLOSED; return -1; }
  int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* A fixed receive buffer (instead of loopback autotuning up to tens of MB) keeps
   * the queue a saturated server can build in the kernel bounded and comparable. */
  if (opt_rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt_rcvbuf, sizeof opt_rcvbuf);
  if (opt_src_addrs > 1) {
    struct sockaddr_in src = { .sin_family = AF_INET };
    src.sin_addr.s_addr = htonl(0x7f000001 + (idx % opt_src_addrs));
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) note_error("bind(source address) failed");
  }
  struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(opt_port) };
  inet_pton(AF_INET, opt_host, &dst.sin_addr);
  c->fd = fd; c->st = ST_CONNECTING; c->plen = 0;
  n_inflight++; n_started++;
  int r = connect(fd, (struct sockaddr *)&dst, sizeof dst);
  if (r < 0 && errno != EINPROGRESS) { note_error(strerror(errno)); close_conn(c, 1); return -1; }
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = idx };
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  return 0;
}

static void send_handshake(int idx) {
  struct conn *c = &conns[idx];
  const char *path = npaths ? paths[idx % npaths] : opt_path;
  char req[4096];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                   path, opt_host, opt_port,
                   opt_deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
  if (write(c->fd, req, n) != n) { note_error("handshake write failed"); close_conn(c, 1); return; }
  c->st = ST_HANDSHAKE;
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void on_open(int idx) {
  struct conn *c = &conns[idx];
  c->st = ST_OPEN; n_inflight--; n_open++;
  if (nhellos) {
    const char *msg = hellos[idx % nhellos];
    send_masked(c, 1, (const unsigned char *)msg, strlen(msg));
  }
}

/* The payload (already inflated) of one complete data message. */
static void on_message(const unsigned char *p, size_t len, int compressed) {
  n_msgs_total++;
  double t = now_mono();
  /* Warm-up starts at the first message after every connection is open: a server that streams
   * to early clients (M5 services push from the moment a client subscribes) must not let the
   * window run out while later handshakes are still queued behind that traffic. */
  if (window_state == 0 && t_open_done > 0) { t_first_msg = t; window_state = 1; t_win_start = t + opt_warmup; }
  if (window_state == 1 && t >= t_win_start) {
    window_state = 2; t_win_end = t_win_start + opt_measure; getrusage(RUSAGE_SELF, &ru_win_start);
  }
  if (window_state != 2) return;
  n_msgs_window++; n_bytes_window += len; if (compressed) n_compressed_window++;
  if (opt_count_key[0]) { /* e.g. quotes per batch message: occurrences of "symbol": */
    size_t kl = strlen(opt_count_key); const unsigned char *q = p, *e = p + len;
    while (q < e && (q = memmem(q, e - q, opt_count_key, kl)) != NULL) { n_items_window++; q += kl; }
  }
  size_t scan = len < 1024 ? len : 1024;
  const unsigned char *k = memmem(p, scan, opt_ts_key, strlen(opt_ts_key));
  if (!k) return;
  const unsigned char *d = k + strlen(opt_ts_key), *end = p + len;
  while (d < end && (*d == ' ' || *d == '"')) d++;
  long long v = 0; int digits = 0;
  while (d < end && *d >= '0' && *d <= '9' && digits < 19) { v = v * 10 + (*d - '0'); d++; digits++; }
  if (!digits) return;
  double us = opt_ts_epoch_ms ? (double)(now_epoch_ms() - v) * 1000.0 : (double)(now_mono_ns() - v) / 1000.0;
  record_latency(us);
}

/* Inflates one frame of a compressed message into zbuf; *outlen = bytes of the
 * message head available there. With context takeover the whole stream must be
 * inflated to keep the window in sync; without it (the server compresses every
 * message on its own) only the head holding the timestamp is inflated, which keeps
 * the generator far from being the bottleneck. */
static int inflate_message(struct conn *c, const unsigned char *p, size_t len, int first, int fin, size_t *outlen) {
  static const unsigned char tail[4] = { 0, 0, 0xff, 0xff };
  if (!c->inflater) {
    c->inflater = calloc(1, sizeof(z_stream));
    if (inflateInit2(c->inflater, -15) != Z_OK) return -1;
  }
  z_stream *z = c->inflater;
  if (c->no_context) {
    if (!first) return 0; /* head already taken from the first fragment */
    inflateReset(z);
    z->next_in = (unsigned char *)p; z->avail_in = len;
    z->next_out = zbuf; z->avail_out = 256;
    int r = inflate(z, Z_SYNC_FLUSH);
    if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) return -1;
    *outlen = 256 - z->avail_out;
    return 0;
  }
  size_t produced = 0;
  for (int part = 0; part < (fin ? 2 : 1); part++) {
    z->next_in = (unsigned char *)(part ? tail : p); z->avail_in = part ? 4 : len;
    while (z->avail_in > 0) {
      size_t room = produced < zbuf_cap ? zbuf_cap - produced : zbuf_cap;
      z->next_out = zbuf + (produced < zbuf_cap ? produced : 0);
      z->avail_out = room;
      int r = inflate(z, Z_SYNC_FLUSH);
      if (r != Z_OK && r != Z_BUF_ERROR) return -1;
      size_t got = room - z->avail_out;
      produced += got;
      if (r == Z_BUF_ERROR && got == 0) break;
    }
  }
  *outlen = produced < zbuf_cap ? produced : zbuf_cap; /* only the head is inspected */
  return 0;
}

/* Parses as many complete frames as the buffer holds; returns bytes consumed or -1. */
static long parse_frames(struct conn *c, unsigned char *b, size_t n) {
  size_t off = 0;
  while (n - off >= 2) {
    unsigned char b0 = b[off], b1 = b[off + 1];
    int opcode = b0 & 15, fin = b0 >> 7, rsv1 = (b0 >> 6) & 1, masked = b1 >> 7;
    uint64_t plen = b1 & 127; size_t h = 2;
    if (plen == 126) { if (n - off < 4) break; plen = (b[off + 2] << 8) | b[off + 3]; h = 4; }
    else if (plen == 127) {
      if (n - off < 10) break;
      plen = 0; for (int i = 0; i < 8; i++) plen = (plen << 8) | b[off + 2 + i];
      h = 10;
    }
    if (masked) h += 4; /* servers must not mask; tolerate and ignore */
    if (plen > rbuf_cap / 2) { note_error("frame larger than the read buffer"); return -1; }
    if (n - off < h + plen) break;
    unsigned char *pl = b + off + h;
    if (opcode >= 8) {
      if (opcode == 8) { n_closed_by_server++; return -1; }
      if (opcode == 9) send_masked(c, 10, pl, plen);
    } else {
      int compressed = c->inflater || opt_deflate ? (opcode != 0 ? rsv1 : c->in_compressed_msg) : 0;
      if (opcode != 0) c->in_compressed_msg = rsv1;
      if (compressed) {
        size_t outlen = 0;
        if (inflate_message(c, pl, plen, opcode != 0, fin, &outlen) < 0) { note_error("inflate failed"); return -1; }
        if (fin) on_message(zbuf, outlen, 1);
      } else if (fin) {
        on_message(pl, plen, 0);
      }
    }
    off += h + plen;
  }
  return off;
}

static void on_readable(int idx) {
  struct conn *c = &conns[idx];
  size_t have = c->plen;
  if (have) memcpy(rbuf, c->pending, have);
  ssize_t r = read(c->fd, rbuf + have, rbuf_cap - have);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
    if (c->st != ST_OPEN) note_error(r == 0 ? "server closed during handshake" : strerror(errno));
    close_conn(c, c->st != ST_OPEN || window_state < 3);
    return;
  }
  if (r < 0) return;
  size_t n = have + r, off = 0;
  if (c->st == ST_HANDSHAKE) {
    unsigned char *end = memmem(rbuf, n, "\r\n\r\n", 4);
    if (!end) {
      if (n > 8192) { note_error("handshake response too large"); close_conn(c, 1); return; }
      pending_store(c, rbuf, n); return;
    }
    size_t hl = end + 4 - rbuf;
    if (n < 12 || memcmp(rbuf, "HTTP/1.1 101", 12) != 0 ||
        !memmem(rbuf, hl, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28)) {
      char msg[96]; snprintf(msg, sizeof msg, "bad handshake response: %.60s", rbuf);
      for (char *q = msg; *q; q++) if (*q == '\r' || *q == '\n') *q = ' ';
      note_error(msg); close_conn(c, 1); return;
    }
    off = hl;
    if (opt_deflate && memmem(rbuf, hl, "server_no_context_takeover", 26)) c->no_context = 1;
    on_open(idx);
    if (c->st != ST_OPEN) return;
  }
  long used = parse_frames(c, rbuf + off, n - off);
  if (used < 0) { close_conn(c, 0); return; }
  pending_store(c, rbuf + off + used, n - off - used);
}

static void print_rusage_json(FILE *f, const char *prefix, struct rusage *a, struct rusage *b, double wall) {
  double u = (b->ru_utime.tv_sec - a->ru_utime.tv_sec) + (b->ru_utime.tv_usec - a->ru_utime.tv_usec) / 1e6;
  double s = (b->ru_stime.tv_sec - a->ru_stime.tv_sec) + (b->ru_stime.tv_usec - a->ru_stime.tv_usec) / 1e6;
  fprintf(f, "\"%scpu_user_s\":%.3f,\"%scpu_sys_s\":%.3f,\"%scpu_pct\":%.1f", prefix, u, prefix, s, prefix,
          wall > 0 ? 100.0 * (u + s) / wall : 0);
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) { if (*s == '"' || *s == '\\') fputc('\\', f); fputc(*s >= 32 ? *s : ' ', f); }
  fputc('"', f);
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen recv|open --port P [--host H] [--path /p | --paths-file F] [--hello-file F]\n"
          "  [--connections N] [--concurrency C] [--warmup S] [--measure S] [--timeout S] [--connect-wait S]\n"
          "  [--deflate] [--hold] [--src-addrs K] [--rcvbuf BYTES|0] [--ts-key NAME] [--ts-epoch-ms] [--count-key NAME]\n");
  exit(2);
}

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the orchestrator */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) usage();
  opt_mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i]; const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
    if (ARG("--host")) opt_host = v;
    else if (ARG("--port")) opt_port = atoi(v);
    else if (ARG("--path")) opt_path = v;
    else if (ARG("--paths-file")) paths = read_lines(v, &npaths);
    else if (ARG("--hello-file")) hellos = read_lines(v, &nhellos);
    else if (ARG("--connections")) opt_conns = atoi(v);
    else if (ARG("--concurrency")) opt_concurrency = atoi(v);
    else if (ARG("--warmup")) opt_warmup = atof(v);
    else if (ARG("--measure")) opt_measure = atof(v);
    else if (ARG("--timeout")) opt_timeout = atof(v);
    else if (ARG("--connect-wait")) opt_connect_wait = atof(v);
    else if (ARG("--src-addrs")) opt_src_addrs = atoi(v);
    else if (ARG("--rcvbuf")) opt_rcvbuf = atoi(v);
    else if (ARG("--ts-key")) snprintf(opt_ts_key, sizeof opt_ts_key, "\"%s\":", v);
    else if (ARG("--count-key")) snprintf(opt_count_key, sizeof opt_count_key, "\"%s\":", v);
    else if (strcmp(a, "--ts-epoch-ms") == 0) opt_ts_epoch_ms = 1;
    else if (strcmp(a, "--deflate") == 0) opt_deflate = 1;
    else if (strcmp(a, "--hold") == 0) opt_hold = 1;
    else { fprintf(stderr, "unknown argument %s\n", a); usage(); }
  }
  int recv_mode = strcmp(opt_mode, "recv") == 0;
  if (!opt_port || (!recv_mode && strcmp(opt_mode, "open") != 0)) usage();

  struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)opt_conns + 64) {
    rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl);
  }
  srandom(getpid());
  conns = calloc(opt_conns, sizeof *conns);
  rbuf = malloc(rbuf_cap); zbuf = malloc(zbuf_cap);
  hist_fine = calloc(FINE_N, sizeof(uint32_t)); hist_coarse = calloc(COARSE_N, sizeof(uint32_t));
  epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event sev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &sev);

  struct rusage ru_start, ru_end; getrusage(RUSAGE_SELF, &ru_start);
  double t0 = now_mono(), deadline = t0 + opt_timeout;
  t_open_start = t0;
  int next = 0, connected_reported = 0, stdin_closed = 0, timed_out = 0;
  struct epoll_event evs[512];

  for (;;) {
    while (next < opt_conns && n_inflight < opt_concurrency) start_connect(next++);
    int all_done = next == opt_conns && n_inflight == 0;
    /* A saturated server may starve its own handshakes (M5's naive service streams to the clients it
     * already has): after --connect-wait, measure what it delivers to the connections it accepted. */
    int gave_up = recv_mode && opt_connect_wait > 0 && now_mono() - t_open_start >= opt_connect_wait;
    if (!connected_reported && (all_done || gave_up)) {
      t_open_done = now_mono(); connected_reported = 1;
      double el = t_open_done - t_open_start;
      printf("{\"event\":\"connected\",\"open\":%d,\"failed\":%d,\"pending\":%d,\"seconds\":%.4f,\"conn_per_s\":%.1f}\n",
             n_open, n_failed, opt_conns - n_open - n_failed, el, el > 0 ? n_open / el : 0);
      fflush(stdout);
      if (!recv_mode && !opt_hold) break;
    }
    double t = now_mono();
    if (t >= deadline) { timed_out = 1; note_error("timeout"); break; }
    if (window_state == 2 && t >= t_win_end) { window_state = 3; break; }
    if (stdin_closed) break;
    if (connected_reported && n_open == 0 && recv_mode) { note_error("all connections closed"); break; }
    double wait_s = deadline - t;
    if (window_state == 2 && t_win_end - t < wait_s) wait_s = t_win_end - t;
    int ms = (int)(wait_s * 1000) + 1; if (ms > 100) ms = 100;
    int k = epoll_wait(epfd, evs, 512, ms);
    for (int e = 0; e < k; e++) {
      uint32_t idx = evs[e].data.u32;
      if (idx == UINT32_MAX) { /* control: any input or EOF on stdin ends the run */
        char tmp[256]; ssize_t r = read(0, tmp, sizeof tmp);
        if (r <= 0 || memchr(tmp, '\n', r)) { stdin_closed = 1; epoll_ctl(epfd, EPOLL_CTL_DEL, 0, NULL); }
        continue;
      }
      struct conn *c = &conns[idx];
      if (c->st == ST_CONNECTING) {
        int err = 0; socklen_t el = sizeof err; getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err || (evs[e].events & (EPOLLERR | EPOLLHUP))) { note_error(strerror(err ? err : ECONNREFUSED)); close_conn(c, 1); }
        else send_handshake(idx);
      } else if (c->st == ST_HANDSHAKE || c->st == ST_OPEN) {
        on_readable(idx);
      }
    }
  }

  getrusage(RUSAGE_SELF, &ru_end);
  double t_end = now_mono();
  int still_open = n_open;
  for (int i = 0; i < opt_conns; i++) if (conns[i].st != ST_CLOSED && conns[i].st != ST_IDLE) close_conn(&conns[i], 0);

  printf("{\"event\":\"result\",\"mode\":\"%s\",\"connections\":%d,\"open_at_end\":%d,\"failed\":%d,"
         "\"closed_by_server\":%d,\"timed_out\":%s,",
         opt_mode, opt_conns, still_open, n_failed, n_closed_by_server, timed_out ? "true" : "false");
  double open_s = t_open_done > 0 ? t_open_done - t_open_start : 0;
  printf("\"open_seconds\":%.4f,\"conn_per_s\":%.1f,", open_s, open_s > 0 ? (opt_conns - n_failed) / open_s : 0);
  if (recv_mode) {
    double win = window_state >= 2 ? (window_state == 3 ? opt_measure : t_end - t_win_start) : 0;
    printf("\"messages_total\":%lld,\"messages\":%lld,\"compressed\":%lld,\"bytes\":%lld,\"window_s\":%.3f,"
           "\"msgs_per_s\":%.1f,\"items\":%lld,\"items_per_s\":%.1f,",
           n_msgs_total, n_msgs_window, n_compressed_window, n_bytes_window, win, win > 0 ? n_msgs_window / win : 0,
           n_items_window, win > 0 ? n_items_window / win : 0);
    printf("\"latency_us\":{\"n\":%lld,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f},",
           lat_n, percentile(0.5), percentile(0.9), percentile(0.99), percentile(0.999), lat_max_us,
           lat_n ? lat_sum_us / lat_n : 0);
    if (window_state >= 2) { print_rusage_json(stdout, "window_", &ru_win_start, &ru_end, win); printf(","); }
  }
  print_rusage_json(stdout, "", &ru_start, &ru_end, t_end - t0);
  printf(",\"error\":"); json_string(stdout, first_error);
  printf("}\n");
  fflush(stdout);
  return 0;
}
