#include "http/protocol/embeddings_request.h"

#include <QJsonArray>

#include "http/protocol/request_helpers.h"

namespace smartbot::http {

namespace {

ApiError invalid(const QString &message, const QString &field)
{
    return badRequest(message, QStringLiteral("invalid_request"), field);
}

} // namespace

std::optional<ApiError> parseEmbeddingsRequest(const QJsonObject &body, EmbeddingsRequest &out)
{
    const QString field = QStringLiteral("input");
    const QJsonValue input = body.value(field);
    const QString shape = QStringLiteral("must be a non-empty string, a list of strings, a list of token ids or a list "
                                         "of lists of token ids");
    if (input.isString()) {
        if (input.toString().isEmpty())
            return invalid(QStringLiteral("field 'input' must not be empty"), field);
        out.inputs.emplace_back(input.toString().toStdString());
    } else if (input.isArray() && !input.toArray().isEmpty()) {
        const QJsonArray list = input.toArray();
        if (list.first().isDouble()) { // one input of token ids
            auto ids = tokenIdList(list);
            if (!ids)
                return invalid(QStringLiteral("field 'input' holds something not a token id"), field);
            out.inputs.emplace_back(std::move(*ids));
        } else {
            if (list.size() > kMaxEmbeddingInputs)
                return invalid(QStringLiteral("field 'input' holds %1 inputs; at most %2 are allowed")
                                   .arg(list.size())
                                   .arg(kMaxEmbeddingInputs),
                               field);
            for (qsizetype i = 0; i < list.size(); ++i) {
                const QJsonValue v = list[i];
                std::optional<std::vector<int32_t>> ids;
                if (v.isString() && !v.toString().isEmpty())
                    out.inputs.emplace_back(v.toString().toStdString());
                else if (v.isArray() && !v.toArray().isEmpty() && (ids = tokenIdList(v.toArray())))
                    out.inputs.emplace_back(std::move(*ids));
                else
                    return invalid(QStringLiteral("input[%1] must be a non-empty string or a list of token ids").arg(i),
                                   field);
            }
        }
    } else {
        return invalid(QStringLiteral("field 'input' %1").arg(shape), field);
    }

    const QJsonValue format = body.value(QStringLiteral("encoding_format"));
    if (!format.isUndefined() && !format.isNull()) {
        if (format.toString() != QLatin1String("float") && format.toString() != QLatin1String("base64"))
            return invalid(QStringLiteral("field 'encoding_format' must be \"float\" or \"base64\""),
                           QStringLiteral("encoding_format"));
        out.base64 = format.toString() == QLatin1String("base64");
    }
    double dimensions = 0;
    if (auto e = number(body, QStringLiteral("dimensions"), 1, 1 << 20, true, dimensions))
        return e;
    out.dimensions = int(dimensions);
    const QJsonValue user = body.value(QStringLiteral("user"));
    if (!user.isUndefined() && !user.isNull() && !user.isString())
        return invalid(QStringLiteral("field 'user' must be a string"), QStringLiteral("user"));
    return std::nullopt;
}

} // namespace smartbot::http
