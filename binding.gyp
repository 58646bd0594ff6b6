{
  # CUDA is optional at build time: detect-cuda.cjs decides from whether nvcc (and the static
  # CUDA runtime) can be found, and PERCEPT_CPU_ONLY=1 forces a CPU-only build. Whether a GPU
  # is present is a run-time question answered by the addon itself (backendInfo()).
  'variables': {
    'percept_cuda%': '<!(node native/detect-cuda.cjs enabled)',
    'percept_cuda_reason%': '<!(node native/detect-cuda.cjs reason_code)',
    'percept_nvcc%': '<!(node native/detect-cuda.cjs nvcc)',
    'percept_cuda_libdir%': '<!(node native/detect-cuda.cjs libdir)',
  },
  'targets': [
    {
      'target_name': 'percept_native',
      # Every native/src/*.cc (and, with CUDA, *.cu): a kernel is added by adding its files.
      'sources': ['<!@(node native/list-sources.cjs cc)'],
      'dependencies': [
        # Official node-addon-api target that turns C++ exceptions back on (node's common.gypi
        # builds with -fno-exceptions) and defines NAPI_CPP_EXCEPTIONS.
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': [
        'NAPI_VERSION=8',
        'PERCEPT_CUDA_REASON=<(percept_cuda_reason)',
      ],
      # -ffp-contract=off: gnu++17 would otherwise let a build with FMA enabled (CXXFLAGS=-march=...)
      # fuse a*b+c, and the kernels must round every product and sum exactly as the TypeScript
      # reference does. SIMD widths beyond SSE2 are picked at run time (native/src/simd.h).
      'cflags_cc': ['-O3', '-ffp-contract=off'],
      'conditions': [
        ['percept_cuda==1', {
          'sources': ['<!@(node native/list-sources.cjs cu)'],
          'defines': ['PERCEPT_WITH_CUDA=1'],
          # Static cudart: a dynamically linked libcudart.so would make the addon fail to load
          # (not just report "no CUDA") on machines without the CUDA toolkit installed.
          'libraries': [
            '-L<(percept_cuda_libdir)',
            '-lcudart_static',
            '-ldl',
            '-lrt',
            '-lpthread',
          ],
          # Keep cudart's symbols private so they cannot clash with another CUDA runtime loaded
          # into the same process (e.g. by onnxruntime's CUDA provider).
          'ldflags': ['-Wl,--exclude-libs,ALL'],
          'rules': [
            {
              'rule_name': 'nvcc',
              'extension': 'cu',
              'message': 'NVCC <(RULE_INPUT_PATH)',
              'inputs': [],
              'outputs': ['<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).cu.o'],
              'process_outputs_as_sources': 1,
              'action': [
                '<(percept_nvcc)', '-c', '-O3', '-std=c++17',
                '-Xcompiler', '-fPIC',
                '-Xcompiler', '-fvisibility=hidden',
                # SASS for Hopper plus compute_90 PTX so newer GPUs can JIT it.
                '-gencode', 'arch=compute_90,code=sm_90',
                '-gencode', 'arch=compute_90,code=compute_90',
                '-o', '<@(_outputs)',
                '<(RULE_INPUT_PATH)',
              ],
            },
          ],
        }],
      ],
    },
  ],
}
