using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A folder of images: the files directly in it (not in subfolders) named <c>*.png</c>, <c>*.jpg</c>, <c>*.jpeg</c>,
/// <c>*.bmp</c>, <c>*.gif</c> or <c>*.webp</c> (any case), in ordinal order of their names; other files are left alone.
/// Each is one row, preprocessed by <see cref="ImagePreprocessor"/>; its key is its name. A file that does not decode is
/// an error row.
/// </summary>
internal sealed class ImageFolderInput : IBatchInput
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    private readonly string _folder;
    private readonly FileInfo[] _files;
    private readonly ImagePreprocessor _preprocessor;

    private ImageFolderInput(string folder, FileInfo[] files, ImagePreprocessor preprocessor)
    {
        _folder = folder;
        _files = files;
        _preprocessor = preprocessor;
        Fingerprint = FingerprintOf(folder, files);
    }

    public string Format => "images";

    public string Fingerprint { get; }

    public long? Count => _files.Length;

    /// <exception cref="BatchInputException">No images in the folder, or an input or preprocessing that images cannot fill.</exception>
    public static ImageFolderInput Open(string folder, TensorMetadata input, ImagePreprocessing? settings)
    {
        var preprocessor = ImagePreprocessor.Create(input, settings);
        FileInfo[] files;
        try
        {
            files = [.. new DirectoryInfo(folder).EnumerateFiles()
                .Where(f => Extensions.Contains(f.Extension, StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => f.Name, StringComparer.Ordinal)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatchInputException($"{folder}: {ex.Message}", ex);
        }

        return files.Length > 0
            ? new ImageFolderInput(folder, files, preprocessor)
            : throw new BatchInputException($"{folder}: no images in the folder ({string.Join(", ", Extensions)}; subfolders are not read)");
    }

    public IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken)
    {
        for (var index = Math.Max(0, fromIndex); index < _files.Length; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var file = _files[index];
            var (tensor, error) = _preprocessor.Load(Path.Combine(_folder, file.Name), file.Name);
            yield return tensor is null ? new BatchRow(index, file.Name, error!) : new BatchRow(index, file.Name, [tensor]);
        }
    }

    public void Dispose()
    {
    }

    private static string FingerprintOf(string folder, FileInfo[] files)
    {
        var text = new StringBuilder(folder).Append('\n');
        foreach (var file in files)
        {
            text.Append(CultureInfo.InvariantCulture, $"{file.Name}|{file.Length}|{file.LastWriteTimeUtc.Ticks}\n");
        }

        return $"{folder}|{files.Length} images|sha256:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))}";
    }
}
