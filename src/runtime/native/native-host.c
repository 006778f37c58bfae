/*
 * A minimal C host for bpfship native images: what the Node loader does (native-object.ts), in 150 lines of C, so
 * that a native program can be run under gdb or perf without Node in the way.
 *
 *   cc -O2 -g -I src/bpf2c -I src/core src/runtime/native/native-host.c \
 *      -L build/core -lbpfship_core -Wl,-rpath,$PWD/build/core -ldl -o native-host
 *   ./native-host IMAGE.so [PROGRAM [REPEAT [FRAME_HEX]]]
 *
 * It loads the image, creates its maps and global data in the runtime core, binds the helper table, registers the
 * programs for tail calls (prog array slot i gets program i when the object declares no initial values), runs
 * PROGRAM (default: the first) REPEAT times (default 1) as XDP on one frame (default: an IPv4/TCP frame to port
 * 80), and prints r0.
 *
 * Author: Claude.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfship_native.h"

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "native-host: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return 2;
}

static bpfship_map *create_map(const bpfship_native_map *m, uint32_t inner_id) {
  bpfship_map_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = m->type;
  attr.key_size = m->key_size;
  attr.value_size = m->value_size;
  attr.max_entries = m->max_entries;
  attr.map_flags = m->flags;
  attr.inner_map_id = inner_id;
  attr.spin_lock_off = -1;
  strncpy(attr.name, m->name, sizeof attr.name - 1);
  bpfship_map *map = NULL;
  return bpfship_map_create(&attr, &map) == 0 ? map : NULL;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(int argc, char **argv) {
  if (argc < 2) return fail("usage: native-host IMAGE.so [PROGRAM [REPEAT [FRAME_HEX]]]", NULL);
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fail("cannot load the image", dlerror());
  const bpfship_native_image *img = dlsym(lib, "bpfship_native_metadata");
  if (!img || img->magic != BPFSHIP_NATIVE_MAGIC || img->abi_version != BPFSHIP_NATIVE_ABI_VERSION)
    return fail("not a bpfship native image of this ABI version", argv[1]);
  if (bpfship_core_init(1) != 0) return fail("bpfship_core_init failed", NULL);

  /* Helpers. */
  for (uint32_t i = 0; i < img->helper_count; i++) {
    bpfship_helper_fn fn = bpfship_helper_fn_of(img->helper_ids[i]);
    if (!fn) return fail("the core does not implement helper", bpfship_helper_name(img->helper_ids[i]));
    img->helpers[i] = fn;
  }
  /* Programs: registry id = index + 1. */
  static bpfship_native_fn registry[256];
  for (uint32_t i = 0; i < img->program_count && i + 1 < 256; i++) registry[i + 1] = img->programs[i].fn;
  img->runtime->programs_by_id = registry;
  img->runtime->programs_by_id_count = 256;
  img->runtime->helper_by_id = bpfship_helper_fn_of;
  /* Maps, then global data. */
  for (uint32_t i = 0; i < img->map_count; i++) {
    const bpfship_native_map *m = &img->maps[i];
    uint32_t inner_id = 0;
    if (m->inner_map) {
      bpfship_map *inner = create_map(m->inner_map, 0);
      if (!inner) return fail("cannot create the inner map of", m->name);
      inner_id = bpfship_map_id(inner);
    }
    bpfship_map *map = create_map(m, inner_id);
    if (!map) return fail("cannot create map", m->name);
    img->map_bindings[i].map = map;
    for (uint32_t k = 0; m->type == BPFSHIP_MAP_TYPE_PROG_ARRAY && k < m->max_entries; k++) {
      uint32_t id = 0;
      for (uint32_t v = 0; v < m->initial_value_count; v++)
        if (m->initial_values[v].key == k)
          for (uint32_t p = 0; p < img->program_count; p++)
            if (strcmp(img->programs[p].name, m->initial_values[v].name) == 0) id = p + 1;
      if (m->initial_value_count == 0 && k < img->program_count) id = k + 1;
      if (id) bpfship_map_update(map, &k, &id, BPFSHIP_ANY);
    }
  }
  for (uint32_t i = 0; i < img->data_section_count; i++) {
    const bpfship_native_data_section *d = &img->data_sections[i];
    bpfship_native_map def = {.name = d->name, .type = BPFSHIP_MAP_TYPE_ARRAY, .key_size = 4,
                              .value_size = d->size ? d->size : 1, .max_entries = 1};
    bpfship_map *map = create_map(&def, 0);
    if (!map) return fail("cannot create the global data of", d->name);
    uint32_t zero = 0;
    if (d->initial_bytes) bpfship_map_update(map, &zero, d->initial_bytes, BPFSHIP_ANY);
    img->map_bindings[img->map_count + i].map = map;
    img->map_bindings[img->map_count + i].value = bpfship_map_value_addr(map, 0, 0);
  }

  /* The program and its input. */
  uint32_t program = 0;
  if (argc > 2) {
    for (program = 0; program < img->program_count; program++)
      if (strcmp(img->programs[program].name, argv[2]) == 0) break;
    if (program == img->program_count) return fail("no such program", argv[2]);
  }
  unsigned long repeat = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
  uint8_t frame[2048] = {0};
  uint32_t length = 64;
  if (argc > 4) {
    size_t n = strlen(argv[4]) / 2;
    if (n > sizeof frame) n = sizeof frame;
    for (size_t i = 0; i < n; i++) frame[i] = (uint8_t)(hexval(argv[4][2 * i]) * 16 + hexval(argv[4][2 * i + 1]));
    length = (uint32_t)n;
  } else {
    frame[12] = 0x08;                /* ETH_P_IP */
    frame[14] = 0x45;                /* IPv4, ihl 5 */
    frame[23] = 6;                   /* TCP */
    frame[14 + 20 + 3] = 80;         /* destination port 80 */
  }
  static uint8_t buffer[256 + sizeof frame];
  bpfship_run_ctx ctx;
  if (bpfship_run_ctx_init(&ctx, img->programs[program].prog_type, 0, 1) != 0) return fail("bpfship_run_ctx_init failed", NULL);
  uint64_t r0 = 0;
  for (unsigned long i = 0; i < repeat; i++) {
    memcpy(buffer + 256, frame, length);
    r0 = img->run_xdp(program, &ctx, buffer, 256, length, sizeof buffer);
  }
  printf("%s: r0 = %llu\n", img->programs[program].name, (unsigned long long)r0);
  return 0;
}
