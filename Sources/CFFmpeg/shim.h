#ifndef FRAMEWISE_CFFMPEG_SHIM_H
#define FRAMEWISE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/error.h>
#include <libavutil/dict.h>
#include <libavutil/opt.h>

/* AVERROR_EOF and AVERROR(e) are macros Swift cannot import. */
static inline int framewise_averror_eof(void) { return AVERROR_EOF; }
static inline int framewise_averror(int errnum) { return AVERROR(errnum); }
#endif
