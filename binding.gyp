# node-gyp build of the addon (`npx node-gyp rebuild` -> build/Release/mfl.node). CMakeLists.txt
# builds the same sources with the same flags for cmake-js; both read native/sources.json.
{
  "targets": [
    {
      "target_name": "mfl",
      "sources": [
        "<!@(node -p \"const s = require('./native/sources.json'); s.core.concat(s.binding).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "MFL_VERSION=\"<!(node -p \"require('./package.json').version\")\"",
        "MFL_BUILD_SYSTEM=\"node-gyp\"",
        "MFL_LAPACK=\"LAPACK (via OpenBLAS)\""
      ],
      # Same policy as CMakeLists.txt: C++17 without GNU extensions, exceptions and RTTI on,
      # -ffp-contract=off because the RNG and task data must round exactly like the TypeScript
      # twin (no fused multiply-add), -fno-math-errno so sqrt vectorises (no value changes).
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
      "cflags": ["-fvisibility=hidden"],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-ffp-contract=off",
        "-fno-math-errno",
        "-fexceptions",
        "-frtti",
        "-fvisibility-inlines-hidden",
        "-march=native"
      ],
      "libraries": [
        "<!@(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)"
      ],
      "conditions": [
        ["OS=='linux'", {"libraries": ["-ldl"]}],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-march=native"]
          }
        }],
        ["OS=='win'", {
          "msvs_settings": {
            "VCCLCompilerTool": {"ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/fp:precise"]}
          }
        }]
      ]
    }
  ]
}
