// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/model_manifest.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QRegularExpression>
#include <QSet>

// freesel_core is a static library: without a reference to the resource's initialiser the linker
// drops models.qrc's object file, so builtin() calls this first. Must sit outside any namespace.
static void initManifestResource() {
    Q_INIT_RESOURCE(models);
}

namespace freesel {

namespace {

// Parses one entry. Every message names the manifest, the index and the field.
class EntryParser {
public:
    EntryParser(const QJsonObject& json, QString where) : json_(json), where_(std::move(where)) {}

    std::optional<ModelInfo> parse(QString* error);

private:
    QString fail(const QString& field, const QString& what) {
        return QStringLiteral("%1: field \"%2\" %3").arg(where_, field, what);
    }
    bool text(const char* field, bool required, QString* out, QString* error);
    bool positive(const QJsonObject& obj, const char* field, int fallback, int* out,
                  QString* error);
    bool architecture(ModelArchitecture* arch, QString* error);
    bool sizeAndHash(ModelInfo* info, QString* error);
    bool urlAndFile(ModelInfo* info, QString* error);

    const QJsonObject& json_;
    const QString where_;
};

bool EntryParser::text(const char* field, bool required, QString* out, QString* error) {
    const QJsonValue value = json_.value(QLatin1String(field));
    if (value.isUndefined() || value.isNull()) {
        if (required)
            *error = fail(QLatin1String(field), QStringLiteral("is missing"));
        return !required;
    }
    if (!value.isString() || (required && value.toString().isEmpty())) {
        *error = fail(QLatin1String(field), QStringLiteral("must be a non-empty string"));
        return false;
    }
    *out = value.toString();
    return true;
}

bool EntryParser::positive(const QJsonObject& obj, const char* field, int fallback, int* out,
                           QString* error) {
    const QJsonValue value = obj.value(QLatin1String(field));
    if (value.isUndefined()) {
        *out = fallback;
        return true;
    }
    const double number = value.toDouble(-1);
    if (!value.isDouble() || number < 1 || number > 1e6 || number != int(number)) {
        *error = fail(QStringLiteral("architecture.%1").arg(QLatin1String(field)),
                      QStringLiteral("must be a positive integer"));
        return false;
    }
    *out = int(number);
    return true;
}

bool EntryParser::architecture(ModelArchitecture* arch, QString* error) {
    const QJsonValue value = json_.value(QStringLiteral("architecture"));
    if (!value.isObject()) {
        *error = fail(QStringLiteral("architecture"), QStringLiteral("must be an object"));
        return false;
    }
    const QJsonObject obj = value.toObject();
    const ModelArchitecture d;
    arch->layerScale = obj.value(QStringLiteral("layer_scale")).toBool(false);
    return positive(obj, "patch_size", d.patchSize, &arch->patchSize, error) &&
           positive(obj, "embed_dim", d.embedDim, &arch->embedDim, error) &&
           positive(obj, "depth", d.depth, &arch->depth, error) &&
           positive(obj, "num_heads", d.numHeads, &arch->numHeads, error) &&
           positive(obj, "mlp_ratio", d.mlpRatio, &arch->mlpRatio, error) &&
           positive(obj, "pretrain_image_size", d.pretrainImageSize, &arch->pretrainImageSize,
                    error);
}

bool EntryParser::sizeAndHash(ModelInfo* info, QString* error) {
    // Both may be null or absent: the official release publishes neither.
    const QJsonValue size = json_.value(QStringLiteral("size"));
    if (!size.isUndefined() && !size.isNull()) {
        const double bytes = size.toDouble(-1);
        if (!size.isDouble() || bytes < 0 || bytes != double(qint64(bytes))) {
            *error = fail(QStringLiteral("size"), QStringLiteral("must be a byte count or null"));
            return false;
        }
        info->size = qint64(bytes);
    }
    QString sha;
    if (!text("sha256", false, &sha, error))
        return false;
    static const QRegularExpression hex(QStringLiteral("^[0-9a-fA-F]{64}$"));
    if (!sha.isEmpty() && !hex.match(sha).hasMatch()) {
        *error = fail(QStringLiteral("sha256"), QStringLiteral("must be 64 hex digits or null"));
        return false;
    }
    info->sha256 = sha.toLower().toLatin1();
    return true;
}

bool EntryParser::urlAndFile(ModelInfo* info, QString* error) {
    QString url;
    if (!text("url", true, &url, error) || !text("file_name", true, &info->fileName, error))
        return false;
    info->url = QUrl(url, QUrl::StrictMode);
    const QString scheme = info->url.scheme();
    if (!info->url.isValid() ||
        (scheme != QLatin1String("http") && scheme != QLatin1String("https"))) {
        *error = fail(QStringLiteral("url"), QStringLiteral("must be an http(s) URL"));
        return false;
    }
    // The file name becomes a path inside the cache directory: no separators, no "..".
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9_.+-]*$"));
    if (!safe.match(info->fileName).hasMatch()) {
        *error = fail(QStringLiteral("file_name"),
                      QStringLiteral("must be a plain file name (letters, digits, _ . + -)"));
        return false;
    }
    return true;
}

std::optional<ModelInfo> EntryParser::parse(QString* error) {
    ModelInfo info;
    static const QRegularExpression id(QStringLiteral("^[a-z0-9][a-z0-9_.-]*$"));
    if (!text("name", true, &info.name, error))
        return std::nullopt;
    if (!id.match(info.name).hasMatch()) {
        *error = fail(QStringLiteral("name"),
                      QStringLiteral("must use lower-case letters, digits, _ . -"));
        return std::nullopt;
    }
    if (!text("display_name", false, &info.displayName, error) ||
        !text("family", false, &info.family, error) || !architecture(&info.architecture, error) ||
        !urlAndFile(&info, error) || !sizeAndHash(&info, error) ||
        !text("license", false, &info.license, error))
        return std::nullopt;
    if (info.displayName.isEmpty())
        info.displayName = info.name;
    const QJsonObject checkpoint = json_.value(QStringLiteral("checkpoint")).toObject();
    info.checkpointFormat = checkpoint.value(QStringLiteral("format")).toString();
    info.checkpointNotes = checkpoint.value(QStringLiteral("notes")).toString();
    return info;
}

} // namespace

ModelManifest ModelManifest::builtin() {
    initManifestResource();
    Result<ModelManifest> manifest = fromFile(QString::fromLatin1(kResourcePath));
    // The built-in JSON is part of the build and covered by a test; an empty manifest here means
    // a broken build, which callers see as "unknown model" with the reason logged.
    if (!manifest) {
        qWarning("freesel: built-in model manifest is invalid: %s", qPrintable(manifest.message()));
        return ModelManifest();
    }
    return std::move(manifest).value();
}

Result<ModelManifest> ModelManifest::fromFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::userInput(
            QStringLiteral("%1: cannot open model manifest: %2").arg(path, file.errorString()));
    return fromJson(file.readAll(), path);
}

Result<ModelManifest> ModelManifest::fromJson(const QByteArray& json, const QString& source) {
    // The entry parser reports through one message; every failure here is the file's author's.
    QString message;
    QString* error = &message;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (doc.isNull() || !doc.isObject()) {
        *error = QStringLiteral("%1: not a JSON object (%2 at offset %3)")
                     .arg(source, parseError.errorString())
                     .arg(parseError.offset);
        return Error::userInput(message);
    }
    const QJsonValue models = doc.object().value(QStringLiteral("models"));
    if (!models.isArray()) {
        *error = QStringLiteral("%1: field \"models\" must be an array").arg(source);
        return Error::userInput(message);
    }
    ModelManifest manifest;
    manifest.source_ = source;
    QSet<QString> seen;
    const QJsonArray entries = models.toArray();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QJsonObject entry = entries.at(i).toObject();
        const QString where = QStringLiteral("%1: models[%2]").arg(source).arg(i);
        std::optional<ModelInfo> info = EntryParser(entry, where).parse(error);
        if (!info)
            return Error::userInput(message);
        if (seen.contains(info->name)) {
            *error = QStringLiteral("%1: duplicate model name \"%2\"").arg(where, info->name);
            return Error::userInput(message);
        }
        seen.insert(info->name);
        manifest.models_.append(*info);
    }
    manifest.defaultName_ = doc.object().value(QStringLiteral("default")).toString();
    if (!manifest.defaultName_.isEmpty() && !manifest.find(manifest.defaultName_)) {
        *error = QStringLiteral("%1: default model \"%2\" is not listed")
                     .arg(source, manifest.defaultName_);
        return Error::userInput(message);
    }
    return manifest;
}

Result<ModelManifest> ModelManifest::load(const QString& overridePath) {
    if (!overridePath.isEmpty())
        return fromFile(overridePath);
    const QString fromEnv = qEnvironmentVariable(kEnvOverride);
    if (!fromEnv.isEmpty())
        return fromFile(fromEnv);
    return builtin();
}

QStringList ModelManifest::names() const {
    QStringList out;
    for (const ModelInfo& info : models_)
        out << info.name;
    return out;
}

const ModelInfo* ModelManifest::find(const QString& name) const {
    for (const ModelInfo& info : models_)
        if (info.name == name)
            return &info;
    return nullptr;
}

const ModelInfo* ModelManifest::defaultModel() const {
    if (!defaultName_.isEmpty())
        return find(defaultName_);
    return models_.isEmpty() ? nullptr : &models_.first();
}

qint64 ModelInfo::estimatedSize() const {
    const ModelArchitecture& a = architecture;
    const qint64 d = a.embedDim;
    const qint64 hidden = d * a.mlpRatio;
    const qint64 grid = a.pretrainImageSize / a.patchSize;
    const qint64 patchEmbed = 3 * a.patchSize * a.patchSize * d + d;
    const qint64 tokens = d /* cls */ + (grid * grid + 1) * d /* positions */;
    // Per block: two LayerNorms, qkv and the attention projection, the two MLP layers, and
    // DINOv2's two layer-scale vectors.
    const qint64 block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * hidden + hidden) +
                         (hidden * d + d) + (a.layerScale ? 2 * d : 0);
    const qint64 parameters = patchEmbed + tokens + a.depth * block + 2 * d /* final norm */;
    return parameters * 4;
}

} // namespace freesel
