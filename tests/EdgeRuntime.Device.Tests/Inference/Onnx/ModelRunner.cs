using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Device.Tests.Inference.Onnx;

/// <summary>Runs a serialized model in a real ONNX Runtime session (CPU) for the tests.</summary>
internal static class ModelRunner
{
    /// <summary>Runs a model with one FP32 input and returns one FP32 output.</summary>
    public static float[] RunFloat(byte[] model, string inputName, float[] input, long[] shape, string outputName)
    {
        using var session = new InferenceSession(model);
        using var runOptions = new RunOptions();
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var outputs = session.Run(runOptions, [inputName], [value], [outputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Row-major matrix product of [rows, inner] by [inner, columns], in float like the models.</summary>
    public static float[] MatMul(float[] left, float[] right, int rows, int inner, int columns)
    {
        var result = new float[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var sum = 0f;
                for (var k = 0; k < inner; k++)
                {
                    sum += left[(r * inner) + k] * right[(k * columns) + c];
                }

                result[(r * columns) + c] = sum;
            }
        }

        return result;
    }
}
