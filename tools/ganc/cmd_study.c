/* ganc study: the seed papers' human studies as self-contained pages, and their scores.
   realfake  LAPGAN's / SimGAN's real-versus-generated test: N images (half real, half generated) in a seeded
             random order, each shown for a presentation time, then "real or generated?" (keys r / f, or buttons);
   mos       SRGAN's mean opinion score: every image rated 1-5 (keys 1-5), the reference images shown first;
   score     answers exported from those pages (several participants' files combine) -> per model and presentation
             time the fraction of generated images taken for real (fooled_rate) and the accuracy on real ones, or
             the mean opinion score per method, each with a 95% confidence interval.
   The pages need no network; progress is kept in the browser (localStorage) and in the page's URL fragment
   (#answer:shown_ms,... in item order; Chromium's localStorage for file:// pages sometimes comes back empty on a
   reload, measured 2-4 in 80 reloads, the fragment never); the page resumes from whichever holds more answers. After
   the last item an
   <a id="export"> offers the answers as JSON (a data: URL). Every string from outside is escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"

static const char *page_css =
    "body{font-family:sans-serif;text-align:center;margin:2em}#stage{height:300px;display:flex;align-items:center;"
    "justify-content:center}#stage img{width:256px;height:256px;image-rendering:pixelated}button{font-size:1.2em;"
    "margin:0 .5em}#progress{color:#555;margin:1em}.hidden{display:none!important}";

/* The page logic, shared by both studies. STUDY = {id, type, keys, items: [{id, truth, source, ms, ref, src}]}. */
static const char *page_js =
    "const S=STUDY,K='ganc-study-'+S.id,$=i=>document.getElementById(i);\n"
    "function fromHash(){const h=location.hash.slice(1),a=[];if(!h)return a;\n"
    " for(const p of h.split(',')){const m=/^([^:]*):(\\d+)$/.exec(p),it=S.items[a.length];if(!m||!it)break;\n"
    "  a.push({id:it.id,truth:it.truth,source:it.source,answer:decodeURIComponent(m[1]),ms:it.ms,shown_ms:+m[2]});}\n"
    " return a;}\n"
    "let st={i:0,answers:[]};try{st=JSON.parse(localStorage.getItem(K)||'null')||st;}catch(e){}\n"
    "{const h=fromHash();if(h.length>st.answers.length)st={i:h.length,answers:h};}\n"
    "let asking=false,t0=0,started=false;\n"
    "function save(){try{localStorage.setItem(K,JSON.stringify(st));}catch(e){}\n"
    " history.replaceState(null,'','#'+st.answers.map(a=>encodeURIComponent(a.answer)+':'+a.shown_ms).join(','));}\n"
    "function prog(){$('progress').textContent=Math.min(st.i,S.items.length)+' / '+S.items.length;}\n"
    "function finish(){$('stage').classList.add('hidden');$('ask').classList.add('hidden');$('intro').classList.add('hidden');\n"
    " const out={study:S.id,type:S.type,answers:st.answers};const a=$('export');\n"
    " a.href='data:application/json;charset=utf-8,'+encodeURIComponent(JSON.stringify(out));\n"
    " a.classList.remove('hidden');$('done').classList.remove('hidden');prog();}\n"
    "function show(){if(st.i>=S.items.length){finish();return;}const it=S.items[st.i];prog();\n"
    " $('ref').textContent=it.ref?'Reference image: rated '+it.ref:'';const img=$('img');img.src=it.src;\n"
    " $('stage').classList.remove('hidden');$('ask').classList.add('hidden');t0=performance.now();\n"
    " if(S.type==='realfake'){setTimeout(()=>{img.removeAttribute('src');$('stage').classList.add('hidden');\n"
    "  $('ask').classList.remove('hidden');asking=true;},it.ms);}else{$('ask').classList.remove('hidden');asking=true;}}\n"
    "function answer(a){if(!asking)return;asking=false;const it=S.items[st.i];\n"
    " st.answers.push({id:it.id,truth:it.truth,source:it.source,answer:a,ms:it.ms,\n"
    "  shown_ms:Math.round(performance.now()-t0)});st.i++;save();show();}\n"
    "function start(){if(started)return;started=true;$('intro').classList.add('hidden');show();}\n"
    "document.addEventListener('keydown',e=>{if(!started&&(e.key==='Enter'||e.key===' ')){e.preventDefault();start();return;}\n"
    " if(S.keys[e.key]!==undefined)answer(S.keys[e.key]);});\n"
    "$('start').addEventListener('click',start);\n"
    "document.querySelectorAll('#ask button').forEach(b=>b.addEventListener('click',()=>answer(b.dataset.a)));\n"
    "if(st.i>0&&st.i<S.items.length)$('resume').textContent='Resuming at item '+(st.i+1)+'.';\n"
    "if(st.i>=S.items.length)finish();else prog();\n";

typedef struct {
    const char *id, *truth, *source;
    int ms, ref; /* ref: the fixed rating of a reference image (mos), else 0 */
    const float *x;
    int c, h, w;
} item_t;

static void write_page(FILE *f, const char *title, const char *type, const char *intro, const char *buttons,
                       const char *keys, const char *study_id, const item_t *it, int n) {
    fprintf(f, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_text(f, title);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>", page_css);
    html_text(f, title);
    fprintf(f, "</h1>\n<div id=\"intro\"><p>%s</p><p id=\"resume\"></p><button id=\"start\">Start (Enter)</button></div>\n"
               "<p id=\"ref\"></p><div id=\"stage\" class=\"hidden\"><img id=\"img\" alt=\"the image to judge\"></div>\n"
               "<div id=\"ask\" class=\"hidden\">%s</div>\n<div id=\"progress\"></div>\n"
               "<p id=\"done\" class=\"hidden\">Done, thank you. Save your answers: "
               "<a id=\"export\" class=\"hidden\" download=\"answers.json\">answers.json</a></p>\n<script>\nconst STUDY={\"id\":",
            intro, buttons);
    js_string(f, study_id);
    fprintf(f, ",\"type\":\"%s\",\"keys\":%s,\"items\":[\n", type, keys);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"id\":", i ? ",\n" : "");
        js_string(f, it[i].id);
        fputs(",\"truth\":", f);
        js_string(f, it[i].truth);
        fputs(",\"source\":", f);
        js_string(f, it[i].source);
        fprintf(f, ",\"ms\":%d,\"ref\":%d,\"src\":\"", it[i].ms, it[i].ref);
        img_data_url(f, it[i].x, it[i].c, it[i].h, it[i].w);
        fputs("\"}", f);
    }
    fprintf(f, "]};\n%s</script>\n</body></html>\n", page_js);
}

static int write_study_file(const char *out, const char *title, const char *type, const char *intro,
                            const char *buttons, const char *keys, const char *sid, const item_t *it, int n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return ganc_fail(GANC_ENOMEM, "out of memory");
    write_page(f, title, type, intro, buttons, keys, sid, it, n);
    fclose(f);
    int rc = ganc_write_file_atomic(out, buf, len);
    free(buf);
    return rc;
}

static void shuffle(int *v, int n, uint64_t seed) {
    ganc_rng_t r;
    ganc_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) v[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)ganc_rng_below(&r, (uint32_t)i + 1), t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* "50,100,200" -> ms values (1..60000); returns the count or -1 */
static int parse_ms(const char *s, int *ms, int cap) {
    char buf[512];
    int n = 0;
    if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf) return -1;
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        long long v;
        if (n == cap || ganc_parse_i64(t, 1, 60000, &v)) return -1;
        ms[n++] = (int)v;
    }
    return n ? n : -1;
}

static int study_realfake(int argc, char **argv) {
    static const command_t cmd = {
        "study realfake", "study realfake --real SRC --fake SRC --n N --out FILE.html [--ms 50,100,...] [--seed S]",
        "A real-versus-generated page (LAPGAN's study): N images, half from --real and half from --fake (any source of\n"
        "ganc eval: dataset, folder, .npy, trained model), in a seeded random order; each is shown for one of the\n"
        "presentation times (--ms, spread evenly over the items), then hidden, and the participant answers r (real) or\n"
        "f (generated). Progress survives a reload; the answers are exported as JSON for ganc study score.", NULL};
    const char *real = NULL, *fake = NULL, *out = NULL, *ms_list = "50,100,200,400,1000,2000";
    int n = 40, size = 64;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"real", F_STR, &real, "SRC", "real images", 0, NULL, 0, 0, 0},
        {"fake", F_STR, &fake, "SRC", "generated images (its name identifies the model in the scores)", 0, NULL, 0, 0, 0},
        {"n", F_INT, &n, NULL, "images in all (half real, half generated)", 0, NULL, 0, 2, 2000},
        {"ms", F_STR, &ms_list, "LIST", "presentation times in milliseconds, comma-separated (1..60000)", 0, NULL, 0, 0, 0},
        {"seed", F_U64, &seed, NULL, "order, times and generated samples", 0, NULL, 0, 0, 0},
        {"size", F_INT, &size, NULL, "size datasets and folders are loaded at", 0, NULL, 0, 8, 1024},
        {"out", F_STR, &out, "FILE", "the page to write (.html)", 0, NULL, 0, 0, 0},
    };
    char *pos[1];
    int npos, ms[32], nms, prc = parse_flags(&cmd, flags, 7, argc, argv, pos, 0, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    if (!real || !fake || !out || !ends_with(out, ".html")) {
        fprintf(stderr, "ganc study realfake: need --real, --fake and --out FILE.html\n");
        return 2;
    }
    if ((nms = parse_ms(ms_list, ms, 32)) < 0) {
        fprintf(stderr, "ganc study realfake: --ms is 1 to 32 comma-separated times of 1..60000 ms\n");
        return 2;
    }
    if (dry_run()) return 0;
    src_t s[2] = {{0}};
    const int half = n / 2;
    int rc = 0;
    if (load_source(real, half, seed, size, &s[0]) || load_source(fake, n - half, seed, size, &s[1])) {
        fprintf(stderr, "ganc study realfake: %s\n", ganc_errmsg());
        rc = 1;
    } else if (s[0].n < half || s[1].n < n - half) {
        fprintf(stderr, "ganc study realfake: %s has %d images, %s %d; --n %d needs %d and %d\n", real, s[0].n, fake,
                s[1].n, n, half, n - half);
        rc = 1;
    }
    item_t *it = calloc((size_t)n, sizeof *it);
    int *order = malloc(sizeof(int) * n), *tord = malloc(sizeof(int) * n);
    char (*ids)[16] = malloc(sizeof *ids * (size_t)n), sid[64];
    if (!rc && (!it || !order || !tord || !ids)) { fprintf(stderr, "ganc study realfake: out of memory\n"); rc = 1; }
    if (!rc) {
        shuffle(order, n, seed);
        shuffle(tord, n, seed ^ 0x5eed);
        for (int k = 0; k < n; k++) { /* item k shows image order[k]; times spread evenly over a second order */
            const int i = order[k], f = i >= half;
            const src_t *src = &s[f];
            const int j = f ? i - half : i;
            snprintf(ids[k], sizeof ids[k], "%c%d", f ? 'g' : 'r', j);
            it[k] = (item_t){ids[k], f ? "fake" : "real", f ? fake : real, ms[tord[k] % nms], 0,
                             src->x + (size_t)j * src->c * src->h * src->w, src->c, src->h, src->w};
        }
        snprintf(sid, sizeof sid, "realfake-%llu-%d", (unsigned long long)seed, n);
        rc = write_study_file(out, "Real or generated?", "realfake",
                              "Each image is shown briefly, then hidden. Press <b>r</b> if it was a real photograph "
                              "or image, <b>f</b> if it was generated (or use the buttons).",
                              "<button data-a=\"real\">Real (r)</button><button data-a=\"fake\">Generated (f)</button>",
                              "{\"r\":\"real\",\"f\":\"fake\"}", sid, it, n);
        if (rc) fprintf(stderr, "ganc study realfake: %s\n", ganc_errmsg());
        else printf("wrote %s: %d items (%d real, %d generated), %d presentation times\n", out, n, half, n - half, nms);
        rc = rc ? 1 : 0;
    }
    free(it); free(order); free(tord); free(ids);
    src_free(&s[0]);
    src_free(&s[1]);
    return rc;
}

static int study_mos(int argc, char **argv) {
    static const command_t cmd = {
        "study mos", "study mos DIR [DIR...] --out FILE.html [--images DIR,DIR,...] [--size S] [--seed S]",
        "A mean-opinion-score page (SRGAN's protocol): every image of every folder (one folder per method, e.g. the\n"
        "original, bicubic, SRResNet, SRGAN outputs) rated from 1 (bad) to 5 (excellent) with keys 1-5. The first\n"
        "folder is the reference: its first images are shown first, labelled as rated 5, to calibrate; then every\n"
        "image in a seeded random order. Export the answers and run ganc study score.", NULL};
    const char *out = NULL, *images = NULL;
    int size = 256, nref = 3;
    uint64_t seed = 1;
    flag_t flags[] = {
        {"out", F_STR, &out, "FILE", "the page to write (.html)", 0, NULL, 0, 0, 0},
        {"images", F_STR, &images, "DIRS", "the method folders, comma-separated (or give them as arguments)", 0, NULL, 0, 0, 0},
        {"size", F_INT, &size, NULL, "images are shown resized to this size", 0, NULL, 0, 8, 1024},
        {"refs", F_INT, &nref, NULL, "reference images shown first", 0, NULL, 0, 0, 20},
        {"seed", F_U64, &seed, NULL, "order", 0, NULL, 0, 0, 0},
    };
    char *pos[16], *dirs[16], list[4096] = "";
    int npos, nd = 0, prc = parse_flags(&cmd, flags, 5, argc, argv, pos, 16, &npos);
    if (prc) return prc == 1 ? 0 : 2;
    for (int i = 0; i < npos; i++) dirs[nd++] = pos[i];
    if (images && snprintf(list, sizeof list, "%s", images) < (int)sizeof list)
        for (char *t = strtok(list, ","); t && nd < 16; t = strtok(NULL, ",")) dirs[nd++] = t;
    if (!nd || !out || !ends_with(out, ".html")) {
        fprintf(stderr, "ganc study mos: need method folders and --out FILE.html\n");
        return 2;
    }
    if (dry_run()) return 0;
    src_t s[16] = {{0}};
    int total = 0, rc = 0;
    for (int d = 0; d < nd && !rc; d++) {
        if (load_source(dirs[d], 2000, seed, size, &s[d])) { fprintf(stderr, "ganc study mos: %s\n", ganc_errmsg()); rc = 1; }
        total += s[d].n;
    }
    const int refs = rc ? 0 : (nref < s[0].n ? nref : s[0].n), n = total + refs;
    item_t *it = rc ? NULL : calloc((size_t)n, sizeof *it);
    int *order = rc ? NULL : malloc(sizeof(int) * total);
    char (*ids)[24] = rc ? NULL : malloc(sizeof *ids * (size_t)n), sid[64];
    if (!rc && (!it || !order || !ids)) { fprintf(stderr, "ganc study mos: out of memory\n"); rc = 1; }
    if (!rc) {
        for (int k = 0; k < refs; k++) {
            snprintf(ids[k], sizeof ids[k], "ref%d", k);
            it[k] = (item_t){ids[k], "reference", dirs[0], 0, 5, s[0].x + (size_t)k * s[0].c * s[0].h * s[0].w,
                             s[0].c, s[0].h, s[0].w};
        }
        shuffle(order, total, seed);
        for (int k = 0; k < total; k++) {
            int i = order[k], d = 0;
            while (i >= s[d].n) i -= s[d++].n;
            snprintf(ids[refs + k], sizeof ids[0], "m%d_%d", d, i);
            it[refs + k] = (item_t){ids[refs + k], "rating", dirs[d], 0, 0,
                                    s[d].x + (size_t)i * s[d].c * s[d].h * s[d].w, s[d].c, s[d].h, s[d].w};
        }
        snprintf(sid, sizeof sid, "mos-%llu-%d", (unsigned long long)seed, n);
        rc = write_study_file(out, "Rate each image", "mos",
                              "Rate the quality of each image from <b>1</b> (bad) to <b>5</b> (excellent) with the "
                              "keys 1-5 (or the buttons). The first images are references.",
                              "<button data-a=\"1\">1</button><button data-a=\"2\">2</button><button data-a=\"3\">3"
                              "</button><button data-a=\"4\">4</button><button data-a=\"5\">5</button>",
                              "{\"1\":\"1\",\"2\":\"2\",\"3\":\"3\",\"4\":\"4\",\"5\":\"5\"}", sid, it, n);
        if (rc) fprintf(stderr, "ganc study mos: %s\n", ganc_errmsg());
        else printf("wrote %s: %d references, %d images from %d folders\n", out, refs, total, nd);
        rc = rc ? 1 : 0;
    }
    free(it); free(order); free(ids);
    for (int d = 0; d < nd; d++) src_free(&s[d]);
    return rc;
}

int study_score(int argc, char **argv); /* study_score.c */

int cmd_study(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: ganc study realfake|mos|score [options]   (ganc study KIND --help)\n\n"
               "  realfake  a real-versus-generated page (LAPGAN's human study)\n"
               "  mos       a mean-opinion-score page (SRGAN's protocol)\n"
               "  score     fooled rate / accuracy / MOS with 95%% confidence intervals from exported answers\n");
        return argc < 1 ? 2 : 0;
    }
    if (!strcmp(argv[0], "realfake")) return study_realfake(argc - 1, argv + 1);
    if (!strcmp(argv[0], "mos")) return study_mos(argc - 1, argv + 1);
    if (!strcmp(argv[0], "score")) return study_score(argc - 1, argv + 1);
    fprintf(stderr, "ganc study: unknown kind '%s' (realfake, mos, score)\n", argv[0]);
    return 2;
}
