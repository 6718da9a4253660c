// Every int8 convolution shape of GoogLeNet (u8 nhwc in and out, s8 weights, per-channel output scales, ReLU, as
// the engine builds them) through every implementation oneDNN offers for it, best of 15 x 4 runs on one thread:
// which kernel oneDNN would pick, and how fast each is in GMAC/s. Not part of the build (docs/measurements.md,
// "int8 against OpenVINO on AMD EPYC Zen 4").
//   g++ -O2 -o /tmp/onednn-int8-kernels scripts/lib/onednn-int8-kernels.cpp -ldnnl && OMP_NUM_THREADS=1 /tmp/onednn-int8-kernels
//   (argument "winograd": ask for Winograd instead of direct)
#include <oneapi/dnnl/dnnl.hpp>
#include <chrono>
#include <cstdio>
#include <vector>
#include <string>
#include <algorithm>
using namespace dnnl;
using tag = memory::format_tag; using dt = memory::data_type;
static engine eng(engine::kind::cpu, 0); static stream strm(eng);
double timeit(primitive &p, std::unordered_map<int, memory> &args){
  p.execute(strm,args); strm.wait();
  double best=1e9;
  for(int r=0;r<15;r++){ auto t=std::chrono::steady_clock::now(); for(int i=0;i<4;i++) p.execute(strm,args); strm.wait();
    best=std::min(best,std::chrono::duration<double,std::milli>(std::chrono::steady_clock::now()-t).count()/4);
    if(best>50) break;}
  return best;
}
struct C{int ic,oc,k,h;};
void run(C c, algorithm alg){
  int pad=c.k/2;
  memory::desc src({1,c.ic,c.h,c.h}, dt::u8, tag::nhwc), dst({1,c.oc,c.h,c.h}, dt::u8, tag::nhwc);
  memory::desc wei({c.oc,c.ic,c.k,c.k}, dt::s8, tag::any), bia({c.oc}, dt::f32, tag::x);
  convolution_forward::desc d(prop_kind::forward_inference, alg, src, wei, bia, dst, {1,1},{pad,pad},{pad,pad});
  primitive_attr a; a.set_output_scales(2, std::vector<float>(c.oc, 0.01f));
  post_ops po; po.append_eltwise(1, algorithm::eltwise_relu,0,0); a.set_post_ops(po);
  convolution_forward::primitive_desc pd;
  try { pd = convolution_forward::primitive_desc(d, a, eng); } catch(...) { printf("  ic%4d oc%4d k%d h%2d: unimplemented\n",c.ic,c.oc,c.k,c.h); return; }

  printf("  ic%4d oc%4d k%d h%2d:", c.ic,c.oc,c.k,c.h);
  do {
    std::string impl=pd.impl_info_str();
    if(impl.find("ref")!=std::string::npos) break;
    memory s(pd.src_desc(), eng), w(pd.weights_desc(), eng), b(pd.bias_desc(), eng), o(pd.dst_desc(), eng);
    convolution_forward p(pd); std::unordered_map<int,memory> args{{DNNL_ARG_SRC,s},{DNNL_ARG_WEIGHTS,w},{DNNL_ARG_BIAS,b},{DNNL_ARG_DST,o}};
    double ms=timeit(p,args);
    printf("  %s %.4f (%.0f)", impl.c_str(), ms, 1e-6*c.ic*c.oc*c.k*c.k*c.h*c.h/ms);

  } while(pd.next_impl());
  printf("\n");
}
int main(int argc, char**argv){ setvbuf(stdout,NULL,_IONBF,0);
  algorithm alg = argc>1 ? algorithm::convolution_winograd : algorithm::convolution_direct;
  int M[9][8]={{192,64,96,128,16,32,32,28},{256,128,128,192,32,96,64,28},{480,192,96,208,16,48,64,14},{512,160,112,224,24,64,64,14},{512,128,128,256,24,64,64,14},{512,112,144,288,32,64,64,14},{528,256,160,320,32,128,128,14},{832,256,160,320,32,128,128,7},{832,384,192,384,48,128,128,7}};
  run({64,64,1,56},alg); run({64,192,3,56},alg);
  for(auto &m: M){ int in=m[0],h=m[7];
      run({in,m[1],1,h},alg); run({in,m[2],1,h},alg); run({m[2],m[3],3,h},alg);
      run({in,m[4],1,h},alg); run({m[4],m[5],5,h},alg); run({in,m[6],1,h},alg);}
}
