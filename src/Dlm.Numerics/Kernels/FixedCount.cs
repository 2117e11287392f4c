namespace Dlm.Numerics.Kernels;

// A count fixed by a type argument, so that a kernel written once for "up to N" compiles, for each
// count, to straight-line code with its accumulators in registers (the JIT folds the constant).
internal interface ICount
{
    static abstract int Count { get; }
}

internal readonly struct N1 : ICount { public static int Count => 1; }

internal readonly struct N2 : ICount { public static int Count => 2; }

internal readonly struct N3 : ICount { public static int Count => 3; }

internal readonly struct N4 : ICount { public static int Count => 4; }

internal readonly struct N5 : ICount { public static int Count => 5; }

internal readonly struct N6 : ICount { public static int Count => 6; }

internal readonly struct N7 : ICount { public static int Count => 7; }

internal readonly struct N8 : ICount { public static int Count => 8; }
