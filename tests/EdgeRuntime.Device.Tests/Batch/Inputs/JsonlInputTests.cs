using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using static EdgeRuntime.Device.Tests.Batch.Inputs.InputFolder;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>JSONL files (one inference request per line) as batch inputs, checked against the model's inputs line by line.</summary>
public sealed class JsonlInputTests : InputFileTests
{
    private static readonly TensorMetadata[] TwoInputs = [new("x", TensorDataType.Fp32, [-1, 4]), new("flag", TensorDataType.Int64, [-1, 1])];

    [Test]
    public void Read_GoodAndBadLines_GivesRequestsAsRowsAndErrorsForTheRest()
    {
        var path = Folder.Write("requests.jsonl", """
            {"id":"r1","inputs":[{"name":"flag","shape":[2,1],"datatype":"INT64","data":[1,0]},{"name":"x","shape":[2,4],"datatype":"FP32","data":[[1,2,3,4],[5,6,7,8]]}]}
            {"inputs":[{"name":"x","shape":[1,4],"datatype":"INT64","data":[1,2,3,4]},{"name":"flag","shape":[1,1],"datatype":"INT64","data":[1]}]}
            {"inputs":[{"name":"x","shape":[1,5],"datatype":"FP32","data":[1,2,3,4,5]},{"name":"flag","shape":[1,1],"datatype":"INT64","data":[1]}]}

            {"inputs": [ not json
            {"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}
            {"id":"last","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[9,9,9,9]},{"name":"flag","shape":[1,1],"datatype":"INT64","data":[0]}]}
            {"inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","data":[1,2,3,4,5,6,7,8]},{"name":"flag","shape":[1,1],"datatype":"INT64","data":[0]}]}
            """);

        var rows = ReadAll(path, TwoInputs);

        Assert.That(rows.Select(r => r.Index), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 5, 6 }));
        Assert.That(rows.Select(r => r.Key), Is.EqualTo(new[] { "r1", "line 2", "line 3", "line 5", "line 6", "last", "line 8" }));
        Assert.That(rows[0].Error, Is.Null);
        Assert.That(rows[0].Rows, Is.EqualTo(2));
        Assert.That(rows[0].Names, Is.EqualTo(new[] { "x", "flag" }), "in the model's order");
        Assert.That(rows[0].Floats, Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        Assert.That(rows[0].Data[1], Is.EqualTo(BitConverter.GetBytes(1L).Concat(BitConverter.GetBytes(0L))));
        Assert.That(rows[1].Error, Is.EqualTo("line 2: input 'x' has datatype INT64 but the model expects FP32"));
        Assert.That(rows[2].Error, Is.EqualTo("line 3: input 'x' has shape [1,5] but the model expects [-1,4] (-1 is any size)"));
        Assert.That(rows[3].Error, Does.StartWith("line 5: malformed JSON at byte"));
        Assert.That(rows[4].Error, Is.EqualTo("line 6: missing input 'flag' for the model"));
        Assert.That(rows[5].Error, Is.Null);
        Assert.That(rows[5].Floats, Is.EqualTo(new float[] { 9, 9, 9, 9 }));
        Assert.That(rows[6].Error, Is.EqualTo("line 8: inputs 'x' and 'flag' hold 2 and 1 rows; a line's inputs must hold the same number"));
    }

    [Test]
    public void Read_FromAnIndex_SkipsThatManyRequests()
    {
        var lines = Enumerable.Range(0, 30).Select(i => i == 12
            ? "{broken"
            : $$"""{"id":"r{{i}}","inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[{{i}},0,0,0]},{"name":"flag","shape":[1,1],"datatype":"INT64","data":[1]}]}""");
        var path = Folder.Write("many.jsonl", string.Join("\r\n", lines) + "\r\n");

        var rows = ReadAll(path, TwoInputs, fromIndex: 11);

        Assert.That(rows.Select(r => r.Index), Is.EqualTo(Enumerable.Range(11, 19).Select(i => (long)i)));
        Assert.That(rows[0].Key, Is.EqualTo("r11"));
        Assert.That(rows[0].Floats[0], Is.EqualTo(11f));
        Assert.That(rows[1].Key, Is.EqualTo("line 13"));
        Assert.That(rows[1].Error, Does.StartWith("line 13:"));
        Assert.That(rows[^1].Key, Is.EqualTo("r29"));
    }

    [Test]
    public void Open_ModelWithSeveralInputs_IsFilledByJsonlAndCounted()
    {
        var path = Folder.Write("c.ndjson", "\n{\"inputs\":[]}\n\n{\"inputs\":[]}");

        using var input = BatchInputs.Open(new BatchInputOptions { Path = path }, TwoInputs, null);

        Assert.That(input.Format, Is.EqualTo("jsonl"));
        Assert.That(input.Count, Is.EqualTo(2));
    }
}
