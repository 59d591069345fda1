namespace Serverless.Backup.Testing;
