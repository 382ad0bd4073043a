"""The compiled core (Cython): everything else is declared in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension("khabar._align_kernel", ["src/khabar/_align_kernel.pyx"], extra_compile_args=["-O3"]),
            Extension(
                "khabar._text_kernel",
                ["src/khabar/_text_kernel.pyx"],
                depends=["src/khabar/_blake2b.h"],  # rebuilt when the header changes
                extra_compile_args=["-O3"],
            ),
            Extension("khabar._sort_kernel", ["src/khabar/_sort_kernel.pyx"], extra_compile_args=["-O3"]),
            Extension(
                "khabar.clean._classify_kernel",
                ["src/khabar/clean/_classify_kernel.pyx"],
                extra_compile_args=["-O3"],
            ),
            Extension(
                "khabar.stories._features_kernel",
                ["src/khabar/stories/_features_kernel.pyx"],
                extra_compile_args=["-O3"],
            ),
            Extension(
                "khabar.stories._linkage_kernel",
                ["src/khabar/stories/_linkage_kernel.pyx"],
                language="c++",
                extra_compile_args=["-O3", "-std=c++17"],
            ),
        ],
        compiler_directives={"language_level": 3},
    )
)
